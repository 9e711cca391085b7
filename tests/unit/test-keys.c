/* keys: --send-keys scripts to set-1 scancodes. */
#include <glib.h>
#include <string.h>

#include "client/keys.h"

static GString *render(const char *script)
{
    char *err = NULL;
    GArray *ev = keys_parse(script, &err);
    if (!ev)
        g_error("'%s' rejected: %s", script, err);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < ev->len; i++) {
        struct key_event *e = &g_array_index(ev, struct key_event, i);
        g_string_append_printf(s, "%s%x ", e->press ? "+" : "-", e->scancode);
    }
    g_array_unref(ev);
    return s;
}

static void check(const char *script, const char *want)
{
    GString *s = render(script);
    g_assert_cmpstr(s->str, ==, want);
    g_string_free(s, TRUE);
}

static void test_text(void)
{
    check("a", "+1e -1e ");
    check("Az", "+2a +1e -1e -2a +2c -2c ");
    check("1!", "+2 -2 +2a +2 -2 -2a ");
    check("x y\n", "+2d -2d +39 -39 +15 -15 +1c -1c ");
    check("\t~", "+f -f +2a +29 -29 -2a ");
    check("", "");
}

static void test_named(void)
{
    check("{Return}", "+1c -1c ");
    check("{Up}{F12}", "+148 -148 +58 -58 ");
    check("{ctrl+c}", "+1d +2e -2e -1d ");
    check("{ctrl+alt+Delete}", "+1d +38 +153 -153 -38 -1d ");
    check("{shift+Tab}", "+2a +f -f -2a ");
    check("{{", "+2a +1a -1a -2a ");
    check("}", "+2a +1b -1b -2a ");
    check("{A}", "+2a +1e -1e -2a ");
}

static void check_bad(const char *script, const char *needle)
{
    char *err = NULL;
    GArray *ev = keys_parse(script, &err);
    g_assert_null(ev);
    if (!err || !strstr(err, needle))
        g_error("'%s': message '%s' lacks '%s'", script, err, needle);
    g_assert_null(strchr(err, '\n'));
    g_free(err);
}

static void test_bad(void)
{
    check_bad("{Return", "unclosed");
    check_bad("{}", "empty");
    check_bad("{Nope}", "unknown key name 'Nope'");
    check_bad("{hyper+a}", "unknown modifier 'hyper'");
    check_bad("{ctrl+}", "empty key name");
    check_bad("caf\xc3\xa9", "0xc3");
    check_bad("a\x01", "0x01");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keys/text", test_text);
    g_test_add_func("/keys/named", test_named);
    g_test_add_func("/keys/bad", test_bad);
    return g_test_run();
}
