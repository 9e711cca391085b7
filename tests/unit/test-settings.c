/* settings: the client's option table, sources and precedence. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "client/settings.h"

struct fixture {
    char *dir, *system_file, *user_file, *extra_file, *vv;
};

static void write(const char *path, const char *text)
{
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void fixture_setup(struct fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("test-settings-XXXXXX", NULL);
    f->system_file = g_build_filename(f->dir, "system.conf", NULL);
    f->user_file = g_build_filename(f->dir, "user.conf", NULL);
    f->extra_file = g_build_filename(f->dir, "extra.conf", NULL);
    f->vv = g_build_filename(f->dir, "c.vv", NULL);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
    const char *files[] = {f->system_file, f->user_file, f->extra_file, f->vv};
    for (int i = 0; i < 4; i++) {
        g_unlink(files[i]);
        g_free((char *)files[i]);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
}

static enum settings_result load(struct fixture *f, struct settings *s, char **err,
                                 const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, "thindesk");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)a);
    va_end(ap);
    struct settings_paths paths = {f->system_file, f->user_file};
    *err = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    enum settings_result r =
        settings_load(s, (int)argv->len, (char **)argv->pdata, &paths, out, out, err);
    fclose(out);
    free(buf);
    g_ptr_array_unref(argv);
    return r;
}

static void test_defaults(struct fixture *f, gconstpointer data)
{
    struct settings s;
    char *err;
    g_assert_cmpint(load(f, &s, &err, "spice://127.0.0.1:5930", NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.host, ==, "127.0.0.1");
    g_assert_cmpint(s.port, ==, 5930);
    g_assert_cmpint(s.tls_port, ==, 0);
    g_assert_false(s.headless);
    g_assert_true(s.audio);
    g_assert_true(s.usbredir);
    g_assert_cmpint(s.reconnect, ==, 0);
    g_assert_cmpint(s.timeout, ==, 30);
    g_assert_cmpstr(s.admin_hotkey, ==, "ctrl+alt+shift+F12");
    g_assert_cmpstr(settings_source(&s, "timeout"), ==, "default");
    g_assert_cmpstr(settings_source(&s, "port"), ==, "command line");
    settings_finish(&s);
}

static void test_precedence(struct fixture *f, gconstpointer data)
{
    write(f->system_file, "[client]\ntitle=system\ntimeout=11\nreconnect=3\nrelease-cursor=ctrl+a\n"
                          "host-subject=CN=sys\n");
    write(f->user_file, "[client]\ntitle=user\ntimeout=12\n");
    write(f->extra_file, "[client]\ntitle=extra\n");
    write(f->vv, "[virt-viewer]\ntype=spice\nhost=vvhost\nport=5901\ntitle=vv\n"
                 "release-cursor=ctrl+b\nfullscreen=1\npassword=vvpw\n");
    struct settings s;
    char *err;
    /* Every layer present: the command line wins for title. */
    g_autofree char *cfg = g_strconcat("--config=", f->extra_file, NULL);
    g_assert_cmpint(load(f, &s, &err, cfg, f->vv, "--title", "cli", NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.title, ==, "cli");
    g_assert_cmpstr(settings_source(&s, "title"), ==, "command line");
    g_assert_cmpint(s.timeout, ==, 12); /* user over system */
    g_assert_cmpstr(settings_source(&s, "timeout"), ==, f->user_file);
    g_assert_cmpint(s.reconnect, ==, 3);             /* only in the system file */
    g_assert_cmpstr(s.release_cursor, ==, "ctrl+b"); /* .vv over system */
    g_assert_cmpstr(settings_source(&s, "release-cursor"), ==, f->vv);
    g_assert_cmpstr(s.host_subject, ==, "CN=sys");
    g_assert_true(s.fullscreen);
    g_assert_cmpstr(s.host, ==, "vvhost");
    g_assert_cmpint(s.port, ==, 5901);
    g_assert_cmpstr(s.password, ==, "vvpw");
    settings_finish(&s);

    /* Without the CLI title: the .vv file wins over --config. */
    g_assert_cmpint(load(f, &s, &err, cfg, f->vv, NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.title, ==, "vv");
    settings_finish(&s);
    /* Without the .vv title: --config over the user file. */
    g_assert_cmpint(load(f, &s, &err, cfg, "spice://h:1", NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.title, ==, "extra");
    g_assert_cmpstr(s.release_cursor, ==, "ctrl+a");
    settings_finish(&s);
    /* A CLI false beats a .vv true. */
    g_assert_cmpint(load(f, &s, &err, f->vv, "--full-screen=false", NULL), ==, SETTINGS_OK);
    g_assert_false(s.fullscreen);
    settings_finish(&s);
}

static void test_password_file(struct fixture *f, gconstpointer data)
{
    write(f->vv, "[virt-viewer]\ntype=spice\nhost=h\nport=1\npassword=fromvv\n");
    write(f->extra_file, "s3cret\nsecond line\n");
    struct settings s;
    char *err;
    g_autofree char *pw = g_strconcat("--password-file=", f->extra_file, NULL);
    g_assert_cmpint(load(f, &s, &err, pw, f->vv, NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.password, ==, "fromvv");
    g_assert_cmpint(settings_read_password(&s, &err), ==, 0);
    g_assert_cmpstr(s.password, ==, "s3cret");
    settings_finish(&s);

    g_assert_cmpint(load(f, &s, &err, "--password-file=/nonexistent/pw", "spice://h:1", NULL), ==,
                    SETTINGS_OK);
    g_assert_cmpint(settings_read_password(&s, &err), <, 0);
    g_assert_nonnull(strstr(err, "password file"));
    g_free(err);
    settings_finish(&s);
}

static void test_uri(struct fixture *f, gconstpointer data)
{
    struct settings s;
    char *err;
    g_assert_cmpint(load(f, &s, &err, "spice://[::1]:5900", NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.host, ==, "::1");
    g_assert_cmpint(s.port, ==, 5900);
    settings_finish(&s);
    g_assert_cmpint(load(f, &s, &err, "spice://desk?tls-port=5901", NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.host, ==, "desk");
    g_assert_cmpint(s.port, ==, 0);
    g_assert_cmpint(s.tls_port, ==, 5901);
    settings_finish(&s);

    const char *bad[] = {
        "spice://",     "spice://h",         "spice://h:x",          "spice://h:99999",
        "spice://[::1", "spice://h:1?foo=2", "spice://h:1?tls-port", "vnc://h:1"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        enum settings_result r = load(f, &s, &err, bad[i], NULL);
        if (r != SETTINGS_USAGE && r != SETTINGS_BAD_FILE)
            g_error("%s: accepted", bad[i]);
        g_assert_nonnull(err);
        g_assert_null(strchr(err, '\n'));
        g_free(err);
        settings_finish(&s);
    }
}

static void expect(struct fixture *f, enum settings_result want, const char *needle, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, "thindesk");
    va_list ap;
    va_start(ap, needle);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)a);
    va_end(ap);
    struct settings_paths paths = {f->system_file, f->user_file};
    struct settings s;
    char *err = NULL;
    FILE *out = fopen("/dev/null", "w");
    enum settings_result r =
        settings_load(&s, (int)argv->len, (char **)argv->pdata, &paths, out, out, &err);
    fclose(out);
    if (r != want)
        g_error("argv[1]=%s: result %d, expected %d (%s)", (char *)argv->pdata[1], r, want, err);
    if (needle && (!err || !strstr(err, needle)))
        g_error("message '%s' lacks '%s'", err, needle);
    g_free(err);
    settings_finish(&s);
    g_ptr_array_unref(argv);
}

static void test_bad(struct fixture *f, gconstpointer data)
{
    expect(f, SETTINGS_USAGE, "no address", NULL);
    expect(f, SETTINGS_USAGE, "unknown option '--nope'", "--nope", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "unknown option '--password'", "--password=x", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "needs a value", "spice://h:1", "--timeout", NULL);
    expect(f, SETTINGS_USAGE, "timeout", "--timeout=0", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "reconnect", "--reconnect=sometimes", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "pointer", "--pointer=1", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "pointer", "--pointer=1,-2", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "need --headless", "--screenshot=a.png", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "exclude", "--kiosk", "--headless", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "one address", "spice://h:1", "spice://h:2", NULL);
    expect(f, SETTINGS_BAD_FILE, "cannot read", "/nonexistent.vv", NULL);
    write(f->vv, "[virt-viewer]\ntype=spice\nhost=h\nport=1\nfullscreen=perhaps\n");
    expect(f, SETTINGS_BAD_FILE, "fullscreen", f->vv, NULL);
    write(f->vv, "garbage");
    expect(f, SETTINGS_BAD_FILE, "not a connection file", f->vv, NULL);
    write(f->user_file, "[client]\nbogus=1\n");
    expect(f, SETTINGS_CONFIG, "bogus", "spice://h:1", NULL);
    write(f->user_file, "[client]\nhost=evil\n"); /* connection keys are not config keys */
    expect(f, SETTINGS_CONFIG, "host", "spice://h:1", NULL);
    write(f->user_file, "[agent]\nlisten=1\n");
    expect(f, SETTINGS_CONFIG, "[agent]", "spice://h:1", NULL);
    g_unlink(f->user_file);
    expect(f, SETTINGS_CONFIG, "missing.conf", "--config=/nonexistent/missing.conf", "spice://h:1",
           NULL);
    expect(f, SETTINGS_EXIT_OK, NULL, "--help", NULL);
    expect(f, SETTINGS_EXIT_OK, NULL, "--version", NULL);
    expect(f, SETTINGS_OK, NULL, "--usb-list", NULL);
}

/* USB filters in usbredir syntax, from the command line, a config file and a
 * .vv file's usb-filter: good ones are kept as given, malformed ones refused
 * with the source named (spice-gtk would drop them with a log line only). */
static void test_usb_filters(struct fixture *f, gconstpointer data)
{
    static const char *const good[] = {
        "-1,-1,-1,-1,1",
        "0x08,-1,-1,-1,1|-1,-1,-1,-1,0",
        "0x03,0x046d,0xc52b,0x1201,1",
        "8,1133,50475,-1,0|0xff,-1,-1,-1,0",
        "0x08,0x2b23,0xcdcd,-1,1|",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        struct settings s;
        char *err = NULL;
        g_autofree char *arg1 = g_strdup_printf("--usb-auto-redirect=%s", good[i]);
        g_autofree char *arg2 = g_strdup_printf("--usb-redirect=%s", good[i]);
        g_assert_cmpint(load(f, &s, &err, arg1, arg2, "spice://h:1", NULL), ==, SETTINGS_OK);
        g_assert_null(err);
        g_assert_cmpstr(s.usb_auto_filter, ==, good[i]);
        g_assert_cmpstr(s.usb_redirect, ==, good[i]);
        settings_finish(&s);
    }
    static const char *const bad[] = {
        "0x08,-1,-1,-1",           /* four fields */
        "0x08,-1,-1,-1,1,7",       /* six */
        "usb,-1,-1,-1,1",          /* not a number */
        "0x08,-1,-1,-1,1x",        /* trailing garbage */
        "0x100,-1,-1,-1,1",        /* class above 255 */
        "-1,0x10000,-1,-1,1",      /* vendor above 0xffff */
        "-2,-1,-1,-1,1",           /* -1 is the only wildcard */
        "0x08,-1,-1,-1,1|garbage", /* one bad rule spoils the filter */
        "0x08;-1;-1;-1;1",         /* wrong separator */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *arg = g_strdup_printf("--usb-auto-redirect=%s", bad[i]);
        g_autofree char *needle =
            g_strdup_printf("command line: invalid value '%s' for usb-auto-redirect (expected "
                            "usbredir filter rules",
                            bad[i]);
        expect(f, SETTINGS_USAGE, needle, arg, "spice://h:1", NULL);
        g_autofree char *arg2 = g_strdup_printf("--usb-redirect=%s", bad[i]);
        expect(f, SETTINGS_USAGE, "for usb-redirect", arg2, "spice://h:1", NULL);
    }
    /* From a .vv file the file is named, and the file is what is bad. */
    write(f->vv, "[virt-viewer]\ntype=spice\nhost=h\nport=1\nusb-filter=0x08,-1,-1\n");
    g_autofree char *needle =
        g_strdup_printf("%s: invalid value '0x08,-1,-1' for usb-filter", f->vv);
    expect(f, SETTINGS_BAD_FILE, needle, f->vv, NULL);
    write(f->vv, "[virt-viewer]\ntype=spice\nhost=h\nport=1\nusb-filter=0x08,-1,-1,-1,1\n");
    struct settings s;
    char *err = NULL;
    g_assert_cmpint(load(f, &s, &err, f->vv, NULL), ==, SETTINGS_OK);
    g_assert_cmpstr(s.usb_auto_filter, ==, "0x08,-1,-1,-1,1");
    settings_finish(&s);
    /* The ISO to share must be there and readable. */
    expect(f, SETTINGS_USAGE, "--share-cd=/nonexistent.iso: no such file",
           "--share-cd=/nonexistent.iso", "spice://h:1", NULL);
    expect(f, SETTINGS_USAGE, "not a readable file", "--share-cd=/", "spice://h:1", NULL);
    write(f->extra_file, "an image");
    g_autofree char *iso = g_strdup_printf("--share-cd=%s", f->extra_file);
    expect(f, SETTINGS_OK, NULL, iso, "spice://h:1", NULL);
    g_unlink(f->extra_file);
    /* And from a config file. */
    write(f->user_file, "[client]\nusb-auto-redirect=-1,-1,-1,-1\n");
    expect(f, SETTINGS_CONFIG, "usb-auto-redirect", "spice://h:1", NULL);
    g_unlink(f->user_file);
}

static void test_kiosk_implies(struct fixture *f, gconstpointer data)
{
    struct settings s;
    char *err;
    g_assert_cmpint(load(f, &s, &err, "--kiosk", "--reconnect=never", "spice://h:1", NULL), ==,
                    SETTINGS_OK);
    g_assert_true(s.fullscreen);
    g_assert_cmpint(s.reconnect, ==, SETTINGS_RECONNECT_ALWAYS);
    settings_finish(&s);
    g_assert_cmpint(load(f, &s, &err, "--headless", "--pointer=10,20", "--reconnect=4", "--",
                         "spice://h:1", NULL),
                    ==, SETTINGS_OK);
    g_assert_true(s.have_pointer);
    g_assert_cmpint(s.pointer_x, ==, 10);
    g_assert_cmpint(s.pointer_y, ==, 20);
    g_assert_cmpint(s.reconnect, ==, 4);
    settings_finish(&s);
}

static void test_help(struct fixture *f, gconstpointer data)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    settings_print_help(out);
    fclose(out);
    const char *must[] = {"Usage: thindesk",
                          "--headless",
                          "--screenshot=FILE.png",
                          "--kiosk",
                          "--reconnect=never|N|always",
                          "--share-cd=FILE.iso",
                          "Exit status:",
                          "  11  the server refused the password"};
    for (guint i = 0; i < G_N_ELEMENTS(must); i++)
        if (!strstr(buf, must[i]))
            g_error("--help lacks '%s'", must[i]);
    g_assert_null(strstr(buf, "--host="));
    free(buf);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/settings/defaults", test_defaults);
    ADD("/settings/precedence", test_precedence);
    ADD("/settings/password-file", test_password_file);
    ADD("/settings/uri", test_uri);
    ADD("/settings/bad", test_bad);
    ADD("/settings/kiosk", test_kiosk_implies);
    ADD("/settings/usb-filters", test_usb_filters);
    ADD("/settings/help", test_help);
    return g_test_run();
}
