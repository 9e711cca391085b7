#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "agent/options.h"

struct fixture {
    char *dir;
    char *system_file;
    char *user_file;
};

static void fx_setup(struct fixture *fx, gconstpointer data)
{
    fx->dir = g_dir_make_tmp("opts-XXXXXX", NULL);
    fx->system_file = g_build_filename(fx->dir, "system.conf", NULL);
    fx->user_file = g_build_filename(fx->dir, "user.conf", NULL);
    g_setenv("DISPLAY", ":42", TRUE);
}

static void fx_teardown(struct fixture *fx, gconstpointer data)
{
    g_unlink(fx->system_file);
    g_unlink(fx->user_file);
    g_rmdir(fx->dir);
    g_free(fx->system_file);
    g_free(fx->user_file);
    g_free(fx->dir);
}

static enum options_result load(struct fixture *fx, struct agent_options *o, char **error, ...)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, "thindesk-agent");
    va_list ap;
    va_start(ap, error);
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(args, a);
    va_end(ap);
    struct options_paths paths = {fx->system_file, fx->user_file};
    FILE *out = fopen("/dev/null", "w");
    enum options_result r =
        options_load(o, (int)args->len, (char **)args->pdata, &paths, out, error);
    fclose(out);
    g_ptr_array_free(args, TRUE);
    return r;
}

static void write_file(const char *path, const char *text)
{
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_defaults(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.listen_host, ==, "127.0.0.1");
    g_assert_cmpint(o.listen_port, ==, 5900);
    g_assert_cmpint(o.image_compression, ==, IMAGE_COMPRESSION_AUTO_GLZ);
    g_assert_cmpstr(o.capture, ==, "x11");
    g_assert_null(o.display);
    g_assert_false(o.virtual_desktop);
    g_assert_false(o.disable_ticketing);
    g_assert_cmpstr(options_source(&o, "listen"), ==, "default");
    options_finish(&o);
}

static void test_precedence(struct fixture *fx, gconstpointer data)
{
    write_file(fx->system_file, "[agent]\nlisten=127.0.0.1:6000\nimage-compression=lz\n"
                                "max-fps=30\n");
    write_file(fx->user_file, "[agent]\nlisten=127.0.0.1:6001\n");
    g_autofree char *extra = g_build_filename(fx->dir, "extra.conf", NULL);
    write_file(extra, "[agent]\nimage-compression=quic\n");
    g_autofree char *config_arg = g_strdup_printf("--config=%s", extra);

    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, config_arg, "--max-fps", "90", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.listen_port, ==, 6001);                        /* user beats system */
    g_assert_cmpint(o.image_compression, ==, IMAGE_COMPRESSION_QUIC); /* --config beats both */
    g_assert_cmpint(o.max_fps, ==, 90);                              /* command line wins */
    g_assert_cmpstr(options_source(&o, "listen"), ==, fx->user_file);
    g_assert_cmpstr(options_source(&o, "image-compression"), ==, extra);
    g_assert_cmpstr(options_source(&o, "max-fps"), ==, "command line");
    options_finish(&o);
    g_unlink(extra);
}

static void expect_usage(struct fixture *fx, const char *needle, const char *arg)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, arg, NULL), ==, OPTIONS_USAGE);
    g_assert_nonnull(err);
    if (!strstr(err, needle))
        g_error("error '%s' does not mention '%s'", err, needle);
    g_free(err);
    options_finish(&o);
}

static void test_bad_command_line(struct fixture *fx, gconstpointer data)
{
    expect_usage(fx, "--frobnicate", "--frobnicate");
    expect_usage(fx, "image-compression", "--image-compression=jpeg2000");
    expect_usage(fx, "listen", "--listen=nowhere");
    expect_usage(fx, "listen", "--listen=127.0.0.1:99999");
    expect_usage(fx, "listen", "--listen=127.0.0.1:");
    expect_usage(fx, "max-fps", "--max-fps=0");
    expect_usage(fx, "max-fps", "--max-fps=12abc");
    expect_usage(fx, "jpeg-wan-compression", "--jpeg-wan-compression=sometimes");
    expect_usage(fx, "capture", "--capture=vnc");
    expect_usage(fx, "input", "--input=joystick");
    expect_usage(fx, "virtual-desktop", "--virtual-desktop=huge");
    expect_usage(fx, "needs a value", "--listen");
    expect_usage(fx, "unexpected argument", "extra");
}

static void test_exclusive(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--disable-ticketing", "--generate-password", NULL), ==,
                    OPTIONS_USAGE);
    g_free(err);
    options_finish(&o);
    err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--virtual-desktop", "--display=:3", NULL), ==,
                    OPTIONS_USAGE);
    g_free(err);
    options_finish(&o);
}

static void test_bad_config(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    write_file(fx->user_file, "[agent]\nlisten=127.0.0.1:6001\ncolour=blue\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, "colour"));
    g_assert_nonnull(strstr(err, fx->user_file));
    g_clear_pointer(&err, g_free);
    options_finish(&o);

    write_file(fx->user_file, "[agent]\nmax-fps=fast\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, fx->user_file));
    g_clear_pointer(&err, g_free);
    options_finish(&o);

    write_file(fx->user_file, "this is not a key file\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_clear_pointer(&err, g_free);
    options_finish(&o);

    write_file(fx->user_file, "[server]\nx=1\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, "[server]"));
    g_clear_pointer(&err, g_free);
    options_finish(&o);

    /* A missing --config file is an error; missing default files are not. */
    g_unlink(fx->user_file);
    g_assert_cmpint(load(fx, &o, &err, "--config=/nonexistent.conf", NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, "/nonexistent.conf"));
    g_clear_pointer(&err, g_free);
    options_finish(&o);
}

static void test_virtual_desktop(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--virtual-desktop=1600x900", NULL), ==, OPTIONS_OK);
    g_assert_true(o.virtual_desktop);
    g_assert_cmpint(o.virtual_width, ==, 1600);
    g_assert_cmpint(o.virtual_height, ==, 900);
    options_finish(&o);

    /* No $DISPLAY and no --display: a virtual desktop. */
    g_unsetenv("DISPLAY");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_true(o.virtual_desktop);
    g_assert_cmpint(o.virtual_width, ==, 1280);
    options_finish(&o);
}

static void test_help_lists_every_option(struct fixture *fx, gconstpointer data)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    options_print_help(f);
    fclose(f);
    const char *names[] = {"--display", "--listen", "--password-file", "--generate-password",
                           "--disable-ticketing", "--config", "--capture",
                           "--image-compression", "--jpeg-wan-compression",
                           "--zlib-glz-wan-compression", "--virtual-desktop"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_assert_nonnull(strstr(buf, names[i]));
    free(buf);
}

static void test_tls_listen(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    /* auto: next to the plain port on the same address */
    g_assert_cmpint(load(fx, &o, &err, "--listen=127.0.0.1:7000", NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.tls_listen_host, ==, "127.0.0.1");
    g_assert_cmpint(o.tls_listen_port, ==, 7001);
    g_assert_false(o.allow_plain);
    g_assert_null(o.x509_dir);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--listen=off", "--tls-listen=[::]:7443",
                         "--x509-dir=/etc/pki/thindesk", NULL),
                    ==, OPTIONS_OK);
    g_assert_null(o.listen_host);
    g_assert_cmpint(o.listen_port, ==, 0);
    g_assert_cmpstr(o.tls_listen_host, ==, "::");
    g_assert_cmpint(o.tls_listen_port, ==, 7443);
    g_assert_cmpstr(o.x509_dir, ==, "/etc/pki/thindesk");
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--tls-listen=off", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.tls_listen_port, ==, 0);
    g_assert_null(o.tls_listen_host);
    options_finish(&o);
    write_file(fx->user_file, "[agent]\ntls-listen=0.0.0.0:5901\nallow-plain=true\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.tls_listen_host, ==, "0.0.0.0");
    g_assert_true(o.allow_plain);
    options_finish(&o);
    g_unlink(fx->user_file);
    expect_usage(fx, "tls-listen", "--tls-listen=127.0.0.1:0");
    expect_usage(fx, "tls-listen", "--tls-listen=somewhere:5901");
}

static void test_tls_conflicts(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--listen=off", "--tls-listen=off", NULL), ==,
                    OPTIONS_USAGE);
    g_assert_nonnull(strstr(err, "no way to connect"));
    g_free(err);
    options_finish(&o);
    err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--listen=127.0.0.1:6000", "--tls-listen=127.0.0.1:6000",
                         NULL),
                    ==, OPTIONS_USAGE);
    g_assert_nonnull(strstr(err, "both use port 6000"));
    g_free(err);
    options_finish(&o);
    err = NULL;
    g_assert_cmpint(load(fx, &o, &err, "--listen=off", NULL), ==, OPTIONS_USAGE);
    g_assert_nonnull(strstr(err, "--tls-listen=auto"));
    g_free(err);
    options_finish(&o);
}

/* Found by the config fuzz target: empty backends and non-UTF-8 values were
 * taken as NULL and crashed the checks. */
static void test_empty_and_binary_values(struct fixture *fx, gconstpointer data)
{
    static const char *const files[] = {"[agent]\ncapture=\n", "[agent]\ninput=\n",
                                        "[agent]\ninput=xtest\xc5\n", "[agent]\nlisten=\xff\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        struct agent_options o;
        char *err = NULL;
        write_file(fx->user_file, files[i]);
        enum options_result r = load(fx, &o, &err, NULL);
        g_assert_true(r == OPTIONS_CONFIG || r == OPTIONS_USAGE);
        g_assert_nonnull(err);
        g_free(err);
        options_finish(&o);
    }
    g_unlink(fx->user_file);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/options/defaults", test_defaults);
    ADD("/options/precedence", test_precedence);
    ADD("/options/bad-command-line", test_bad_command_line);
    ADD("/options/exclusive", test_exclusive);
    ADD("/options/bad-config", test_bad_config);
    ADD("/options/virtual-desktop", test_virtual_desktop);
    ADD("/options/help", test_help_lists_every_option);
    ADD("/options/tls-listen", test_tls_listen);
    ADD("/options/tls-conflicts", test_tls_conflicts);
    ADD("/options/empty-and-binary-values", test_empty_and_binary_values);
    return g_test_run();
}
