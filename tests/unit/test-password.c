#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/password.h"

static void test_generate(void)
{
    char *a = password_generate(20), *b = password_generate(20);
    g_assert_cmpuint(strlen(a), ==, 20);
    g_assert_cmpstr(a, !=, b);
    for (const char *c = a; *c; c++)
        g_assert_true(g_ascii_isalnum(*c));
    g_free(a);
    g_free(b);
}

static char *write_tmp(const char *text)
{
    char *path = NULL;
    int fd = g_file_open_tmp("pw-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_read(void)
{
    char *err = NULL;
    char *path = write_tmp("hunter2\nsecond line\n");
    char *pw = password_read(path, &err);
    g_assert_cmpstr(pw, ==, "hunter2");
    g_free(pw);
    g_unlink(path);
    g_free(path);

    path = write_tmp("\n");
    g_assert_null(password_read(path, &err));
    g_assert_nonnull(strstr(err, "empty"));
    g_clear_pointer(&err, g_free);
    g_unlink(path);
    g_free(path);

    path = write_tmp("0123456789012345678901234567890123456789012345678901234567890123\n");
    g_assert_null(password_read(path, &err));
    g_assert_nonnull(strstr(err, "longer"));
    g_clear_pointer(&err, g_free);
    g_unlink(path);
    g_free(path);

    g_assert_null(password_read("/nonexistent/pw", &err));
    g_assert_nonnull(strstr(err, "cannot read"));
    g_free(err);
}

static void test_loopback(void)
{
    g_assert_true(password_address_is_loopback("127.0.0.1"));
    g_assert_true(password_address_is_loopback("127.8.9.10"));
    g_assert_true(password_address_is_loopback("::1"));
    g_assert_true(password_address_is_loopback("::ffff:127.0.0.1"));
    g_assert_true(password_address_is_loopback("localhost"));
    g_assert_false(password_address_is_loopback("0.0.0.0"));
    g_assert_false(password_address_is_loopback("::"));
    g_assert_false(password_address_is_loopback("192.168.1.2"));
    g_assert_false(password_address_is_loopback("128.0.0.1"));
    g_assert_false(password_address_is_loopback(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/password/generate", test_generate);
    g_test_add_func("/password/read", test_read);
    g_test_add_func("/password/loopback", test_loopback);
    return g_test_run();
}
