#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "agent/options.h"

struct fixture {
    char *dir;
    char *system_file;
    char *user_file;
    char *dropin_dir;
};

static void fx_setup(struct fixture *fx, gconstpointer data)
{
    fx->dir = g_dir_make_tmp("opts-XXXXXX", NULL);
    fx->system_file = g_build_filename(fx->dir, "system.conf", NULL);
    fx->user_file = g_build_filename(fx->dir, "user.conf", NULL);
    fx->dropin_dir = g_build_filename(fx->dir, "agent.conf.d", NULL);
    g_mkdir(fx->dropin_dir, 0700);
    g_setenv("DISPLAY", ":42", TRUE);
    g_unsetenv("WAYLAND_DISPLAY");
}

static void fx_teardown(struct fixture *fx, gconstpointer data)
{
    g_unlink(fx->system_file);
    g_unlink(fx->user_file);
    g_autoptr(GDir) d = g_dir_open(fx->dropin_dir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        g_autofree char *p = g_build_filename(fx->dropin_dir, n, NULL);
        g_unlink(p);
    }
    g_rmdir(fx->dropin_dir);
    g_free(fx->dropin_dir);
    g_rmdir(fx->dir);
    g_free(fx->system_file);
    g_free(fx->user_file);
    g_free(fx->dir);
}

static enum options_result load_out(struct fixture *fx, struct agent_options *o, char **error,
                                    char **ret_out, va_list ap)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, "thindesk-agent");
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(args, a);
    struct options_paths paths = {fx->system_file, fx->user_file, fx->dropin_dir};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    enum options_result r =
        options_load(o, (int)args->len, (char **)args->pdata, &paths, out, error);
    fclose(out);
    if (ret_out)
        *ret_out = buf;
    else
        free(buf);
    g_ptr_array_free(args, TRUE);
    return r;
}

static enum options_result load(struct fixture *fx, struct agent_options *o, char **error, ...)
{
    va_list ap;
    va_start(ap, error);
    enum options_result r = load_out(fx, o, error, NULL, ap);
    va_end(ap);
    return r;
}

/* Like load(), and returns what was printed in *ret_out. */
static enum options_result load_print(struct fixture *fx, struct agent_options *o, char **error,
                                      char **ret_out, ...)
{
    va_list ap;
    va_start(ap, ret_out);
    enum options_result r = load_out(fx, o, error, ret_out, ap);
    va_end(ap);
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
    g_assert_cmpstr(o.capture, ==, "auto");
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

static void test_video_codec(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_codec, ==, VIDEO_CODEC_AUTO);
    options_finish(&o);
    write_file(fx->user_file, "[agent]\nvideo-codec=mjpeg\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_codec, ==, VIDEO_CODEC_MJPEG);
    g_assert_cmpstr(options_source(&o, "video-codec"), ==, fx->user_file);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--video-codec=h264", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_codec, ==, VIDEO_CODEC_H264);
    options_finish(&o);
    g_unlink(fx->user_file);
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
    expect_usage(fx, "auto|h264|mjpeg", "--video-codec=h265");
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

    /* No $DISPLAY but a Wayland session: auto asks the compositor later. */
    g_setenv("WAYLAND_DISPLAY", "wayland-9", TRUE);
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_false(o.virtual_desktop);
    options_finish(&o);
    /* ... while --capture=x11 still means an X desktop. */
    g_assert_cmpint(load(fx, &o, &err, "--capture=x11", NULL), ==, OPTIONS_OK);
    g_assert_true(o.virtual_desktop);
    options_finish(&o);
    g_unsetenv("WAYLAND_DISPLAY");
}

/* --system follows the seat: no virtual desktop without $DISPLAY, and no
 * option that names a display of its own. */
static void test_system_mode(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_unsetenv("DISPLAY");
    g_assert_cmpint(load(fx, &o, &err, "--system", NULL), ==, OPTIONS_OK);
    g_assert_true(o.system_mode);
    g_assert_false(o.virtual_desktop);
    g_assert_cmpint(o.seat_source, ==, SEAT_SOURCE_AUTO);
    g_assert_cmpstr(o.dm_hook_socket, ==, "/run/thindesk/dm-hook.sock");
    g_assert_cmpstr(o.session_socket, ==, "/run/thindesk/session.sock");
    g_assert_cmpint(o.on_disconnect, ==, ON_DISCONNECT_LOCK);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--system", "--on-disconnect=logout",
                         "--session-socket=/tmp/s.sock", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.on_disconnect, ==, ON_DISCONNECT_LOGOUT);
    g_assert_cmpstr(o.session_socket, ==, "/tmp/s.sock");
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--system", "--on-disconnect=nothing", NULL), ==,
                    OPTIONS_OK);
    g_assert_cmpint(o.on_disconnect, ==, ON_DISCONNECT_NOTHING);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--system", "--on-disconnect=suspend", NULL), ==,
                    OPTIONS_USAGE);
    g_assert_nonnull(strstr(err, "on-disconnect"));
    g_clear_pointer(&err, g_free);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--system", "--seat-source=dm-hook",
                         "--dm-hook-socket=/tmp/x.sock", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.seat_source, ==, SEAT_SOURCE_DM_HOOK);
    g_assert_cmpstr(o.dm_hook_socket, ==, "/tmp/x.sock");
    options_finish(&o);
    const char *bad[] = {"--display=:3", "--virtual-desktop", "--capture=fake", "--video=stream"};
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(load(fx, &o, &err, "--system", bad[i], NULL), ==, OPTIONS_USAGE);
        g_assert_nonnull(strstr(err, "--system"));
        g_clear_pointer(&err, g_free);
        options_finish(&o);
    }
    g_assert_cmpint(load(fx, &o, &err, "--system", "--seat-source=utmp", NULL), ==,
                    OPTIONS_USAGE);
    g_clear_pointer(&err, g_free);
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

static char *dropin(struct fixture *fx, const char *name, const char *text)
{
    char *path = g_build_filename(fx->dropin_dir, name, NULL);
    write_file(path, text);
    return path;
}

/* Drop-ins come after agent.conf, in name order, before the user file. */
static void test_dropins(struct fixture *fx, gconstpointer data)
{
    write_file(fx->system_file, "[agent]\nmax-fps=10\nfake-fps=11\nimage-compression=lz\n"
                                "input=xtest\n");
    g_autofree char *b = dropin(fx, "20-b.conf", "[agent]\nmax-fps=22\nfake-fps=23\n");
    g_autofree char *a = dropin(fx, "10-a.conf", "[agent]\nmax-fps=12\nfake-fps=13\n"
                                                 "image-compression=quic\n");
    g_autofree char *ignored = dropin(fx, "30-c.conf.disabled", "[agent]\nmax-fps=99\n");
    write_file(fx->user_file, "[agent]\nfake-fps=40\n");

    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.max_fps, ==, 22);    /* 20-b after 10-a */
    g_assert_cmpstr(options_source(&o, "max-fps"), ==, b);
    g_assert_cmpint(o.fake_fps, ==, 40);   /* the user file beats drop-ins */
    g_assert_cmpstr(options_source(&o, "fake-fps"), ==, fx->user_file);
    g_assert_cmpint(o.image_compression, ==, IMAGE_COMPRESSION_QUIC);
    g_assert_cmpstr(options_source(&o, "image-compression"), ==, a);
    g_assert_cmpstr(o.input, ==, "xtest"); /* drop-ins beat agent.conf only where set */
    g_assert_cmpstr(options_source(&o, "input"), ==, fx->system_file);
    options_finish(&o);
}

static void expect_config_error(struct fixture *fx, const char *text, const char *needle)
{
    g_autofree char *path = dropin(fx, "50-bad.conf", text);
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(err);
    g_autofree char *want_file = g_strdup_printf("config file %s", path);
    if (!strstr(err, want_file) || !strstr(err, needle))
        g_error("error '%s' should name '%s' and '%s'", err, want_file, needle);
    g_free(err);
    options_finish(&o);
    g_unlink(path);
}

static void test_bad_dropins(struct fixture *fx, gconstpointer data)
{
    expect_config_error(fx, "[agent]\n# comment\nmax-fps=30\nnot a setting\n", "line 4:");
    expect_config_error(fx, "[agent]\nmax-fps=30\n\ncolour=blue\n", "line 4: unknown key 'colour'");
    expect_config_error(fx, "[agent]\nmax-fps = fast\n", "line 2: invalid value 'fast' for max-fps");
    expect_config_error(fx, "# ok\n[agent]\nmax-fps=3\n[video]\nx=1\n", "line 4: unknown group [video]");
    expect_config_error(fx, "[agent]\ncheck-config=true\n", "line 2: unknown key 'check-config'");
    expect_config_error(fx, "[agent\nmax-fps=3\n", "line 1:");
    /* A drop-in that cannot be read is named too. */
    g_autofree char *dir = dropin(fx, "60-dir.conf", "");
    g_unlink(dir);
    g_mkdir(dir, 0700);
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, dir));
    g_free(err);
    options_finish(&o);
    g_rmdir(dir);
}

/* --check-config prints every value with its source and stops. */
static void test_check_config(struct fixture *fx, gconstpointer data)
{
    g_autofree char *d = dropin(fx, "10-port.conf", "[agent]\nlisten=0.0.0.0:5999\nmax-fps=25\n");
    struct agent_options o;
    char *err = NULL, *out = NULL;
    g_assert_cmpint(load_print(fx, &o, &err, &out, "--check-config", "--max-fps=50", NULL), ==,
                    OPTIONS_EXIT_OK);
    g_autofree char *listen_line = g_strdup_printf("listen=0.0.0.0:5999");
    g_autofree char *from_dropin = g_strdup_printf("# from %s\n", d);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    bool saw_listen = false, saw_fps = false, saw_default = false;
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "listen=")) {
            saw_listen = true;
            g_assert_true(g_str_has_prefix(*l, listen_line));
            g_assert_true(g_str_has_suffix(*l, d));
        } else if (g_str_has_prefix(*l, "max-fps=")) {
            saw_fps = true;
            g_assert_true(g_str_has_prefix(*l, "max-fps=50 "));
            g_assert_true(g_str_has_suffix(*l, "# from command line"));
        } else if (g_str_has_prefix(*l, "image-compression=")) {
            saw_default = true;
            g_assert_true(g_str_has_prefix(*l, "image-compression=auto_glz "));
            g_assert_true(g_str_has_suffix(*l, "# from default"));
        }
    }
    g_assert_true(saw_listen && saw_fps && saw_default);
    /* Every option of the table is listed. */
    struct option_info info;
    for (size_t i = 0; options_describe(i, &info); i++) {
        if (strcmp(info.name, "check-config") == 0)
            continue;
        g_autofree char *key = g_strdup_printf("\n%s%s=", info.cli_only ? "# " : "", info.name);
        if (!strstr(out, key))
            g_error("--check-config does not list %s:\n%s", info.name, out);
    }
    free(out);
    options_finish(&o);

    /* An invalid configuration is reported, not printed. */
    g_autofree char *bad = dropin(fx, "20-bad.conf", "[agent]\nmax-fps=0\n");
    out = NULL;
    g_assert_cmpint(load_print(fx, &o, &err, &out, "--check-config", NULL), ==, OPTIONS_CONFIG);
    g_assert_nonnull(strstr(err, bad));
    g_assert_cmpstr(out, ==, "");
    free(out);
    g_free(err);
    options_finish(&o);
}

static void test_man(struct fixture *fx, gconstpointer data)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_assert_true(options_print_man("conf", f));
    g_assert_false(options_print_man("nothing", f));
    fclose(f);
    g_assert_true(g_str_has_prefix(buf, ".\\\""));
    g_assert_nonnull(strstr(buf, "\\fBmax\\-fps=\\fR"));
    g_assert_null(strstr(buf, "check\\-config=")); /* command line only */
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

static void test_video_bitrate(struct fixture *fx, gconstpointer data)
{
    struct agent_options o;
    char *err = NULL;
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_bitrate, ==, 0); /* auto */
    g_assert_cmpint(o.video_max_bitrate, ==, 100000);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--video-bitrate=4000", "--video-max-bitrate=8000", NULL),
                    ==, OPTIONS_OK);
    g_assert_cmpint(o.video_bitrate, ==, 4000);
    g_assert_cmpint(o.video_max_bitrate, ==, 8000);
    options_finish(&o);
    write_file(fx->user_file, "[agent]\nvideo-bitrate=2500\n");
    g_assert_cmpint(load(fx, &o, &err, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_bitrate, ==, 2500);
    options_finish(&o);
    g_assert_cmpint(load(fx, &o, &err, "--video-bitrate=auto", NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.video_bitrate, ==, 0);
    options_finish(&o);
    g_unlink(fx->user_file);

    expect_usage(fx, "expected auto or a number from 100 to 1000000", "--video-bitrate=fast");
    expect_usage(fx, "video-bitrate", "--video-bitrate=0");
    expect_usage(fx, "video-bitrate", "--video-bitrate=-5");
    expect_usage(fx, "video-bitrate", "--video-bitrate=4M");
    expect_usage(fx, "video-bitrate", "--video-bitrate=");
    expect_usage(fx, "video-max-bitrate", "--video-max-bitrate=auto");
    expect_usage(fx, "video-max-bitrate", "--video-max-bitrate=99");
    g_assert_cmpint(load(fx, &o, &err, "--video-bitrate=9000", "--video-max-bitrate=8000", NULL),
                    ==, OPTIONS_USAGE);
    g_assert_nonnull(strstr(err, "--video-bitrate=9000 is above --video-max-bitrate=8000"));
    g_free(err);
    options_finish(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/options/defaults", test_defaults);
    ADD("/options/precedence", test_precedence);
    ADD("/options/video-codec", test_video_codec);
    ADD("/options/bad-command-line", test_bad_command_line);
    ADD("/options/exclusive", test_exclusive);
    ADD("/options/bad-config", test_bad_config);
    ADD("/options/virtual-desktop", test_virtual_desktop);
    ADD("/options/system-mode", test_system_mode);
    ADD("/options/help", test_help_lists_every_option);
    ADD("/options/dropins", test_dropins);
    ADD("/options/bad-dropins", test_bad_dropins);
    ADD("/options/check-config", test_check_config);
    ADD("/options/man", test_man);
    ADD("/options/tls-listen", test_tls_listen);
    ADD("/options/tls-conflicts", test_tls_conflicts);
    ADD("/options/empty-and-binary-values", test_empty_and_binary_values);
    ADD("/options/video-bitrate", test_video_bitrate);
    return g_test_run();
}
