#include "agent/options.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
    OPT_STRING,
    OPT_BOOL,
    OPT_INT,
    OPT_ENUM,
    OPT_LISTEN,  /* ADDR:PORT into listen_host + listen_port */
    OPT_SIZE,    /* WxH into two ints */
    OPT_DESKTOP, /* flag with an optional WxH */
    OPT_AUTO_INT, /* "auto" (0) or a number from min to max */
};

struct opt {
    const char *name;    /* --name on the command line, name= in [agent] */
    enum opt_type type;
    size_t offset;       /* into struct agent_options */
    size_t offset2;      /* second int of OPT_SIZE/OPT_DESKTOP, or listen port */
    const char *def;     /* default, as it would be written */
    const char *arg;     /* metavariable for --help */
    const char *help;
    const char *const *values; /* OPT_ENUM names, index = value */
    int min, max;        /* OPT_INT */
    bool cli_only;
};

static const char *const image_compression_names[] = {
    "auto_glz", "auto_lz", "quic", "glz", "lz", "lz4", "off", NULL};
static const char *const wan_names[] = {"auto", "never", "always", NULL};
static const char *const clipboard_names[] = {"both", "to-client", "to-guest", "off", NULL};
static const char *const streaming_video_names[] = {"off", "filter", "all", NULL};
static const char *const video_names[] = {"desktop", "stream", NULL};
static const char *const video_codec_names[] = {"auto", "h264", "mjpeg", NULL};
static const char *const seat_source_names[] = {"auto", "logind", "dm-hook", NULL};
static const char *const on_disconnect_names[] = {"lock", "nothing", "logout", NULL};
static const char *const log_level_names[] = {"error", "warning", "info", "debug", NULL};

#define OFF(field) offsetof(struct agent_options, field)
#define NOFIELD ((size_t)-1)

static const struct opt table[] = {
    {"display", OPT_STRING, OFF(display), 0, NULL, ":N",
     "X display to serve (default: $DISPLAY; without one, and without a wlroots Wayland session, a virtual desktop is started)"},
    {"listen", OPT_LISTEN, OFF(listen_host), OFF(listen_port), "127.0.0.1:5900", "ADDR:PORT|off",
     "address and port for unencrypted SPICE clients (only loopback addresses unless --allow-plain)"},
    {"tls-listen", OPT_LISTEN, OFF(tls_listen_host), OFF(tls_listen_port), "auto",
     "ADDR:PORT|auto|off",
     "address and port for SPICE clients over TLS (auto: the --listen address, its port + 1)"},
    {"x509-dir", OPT_STRING, OFF(x509_dir), 0, NULL, "DIR",
     "use ca-cert.pem, server-cert.pem and server-key.pem from DIR (default: a self-signed certificate created in $XDG_CONFIG_HOME/thindesk/tls)"},
    {"allow-plain", OPT_BOOL, OFF(allow_plain), 0, "false", NULL,
     "allow unencrypted clients on a non-loopback --listen address"},
    {"password-file", OPT_STRING, OFF(password_file), 0, NULL, "FILE",
     "read the connection password from FILE (- reads standard input)"},
    {"generate-password", OPT_BOOL, OFF(generate_password), 0, "false", NULL,
     "generate a strong one-time password and print it (the default without a password file)"},
    {"disable-ticketing", OPT_BOOL, OFF(disable_ticketing), 0, "false", NULL,
     "accept clients without a password (only allowed on loopback addresses)"},
    {"config", OPT_STRING, NOFIELD, 0, NULL, "FILE",
     "read settings from FILE after the system and user config files", NULL, 0, 0, true},
    {"capture", OPT_STRING, OFF(capture), 0, "auto", "auto|wlr|mutter|x11|fake",
     "where pixels come from: auto picks mutter in a GNOME Wayland session (org.gnome.Mutter.ScreenCast on the session bus), wlr when $WAYLAND_DISPLAY is a compositor offering wlr-screencopy (sway), else x11 on $DISPLAY, else a virtual X desktop; mutter: GNOME's screen cast through PipeWire; wlr: a wlroots compositor; x11: an X server; fake: scripted test frames"},
    {"fake-script", OPT_STRING, OFF(fake_script), 0, "static", "static|full|scroll|waiting",
     "what the fake capture backend shows"},
    {"fake-size", OPT_SIZE, OFF(fake_width), OFF(fake_height), "1280x720", "WxH",
     "screen size of the fake capture backend"},
    {"fake-fps", OPT_INT, OFF(fake_fps), 0, "30", "N", "frame rate of moving fake scripts",
     NULL, 1, 240},
    {"virtual-desktop", OPT_DESKTOP, OFF(virtual_width), OFF(virtual_height), "1280x720",
     "WxH", "start and serve a virtual X desktop of this size: Xvfb, openbox, an xterm"},
    {"image-compression", OPT_ENUM, OFF(image_compression), 0, "auto_glz",
     "auto_glz|auto_lz|quic|glz|lz|lz4|off", "lossless image codec spice-server uses",
     image_compression_names},
    {"jpeg-wan-compression", OPT_ENUM, OFF(jpeg_wan_compression), 0, "never",
     "auto|never|always", "allow lossy JPEG for photo-like images", wan_names},
    {"zlib-glz-wan-compression", OPT_ENUM, OFF(zlib_glz_wan_compression), 0, "auto",
     "auto|never|always", "add zlib on top of glz on slow links", wan_names},
    {"max-fps", OPT_INT, OFF(max_fps), 0, "60", "N",
     "most frames a second sent to a client", NULL, 1, 1000},
    {"streaming-video", OPT_ENUM, OFF(streaming_video), 0, "off", "off|filter|all",
     "--video=desktop: spice-server's own video detection (its streams play about 400 ms late in spice-gtk)",
     streaming_video_names},
    {"video", OPT_ENUM, OFF(video), 0, "desktop", "desktop|stream",
     "desktop: lossless drawing commands; stream: full-motion MJPEG or H.264 (--video-codec) through the SPICE stream device (video, 3D, signage)",
     video_names},
    {"video-max-fps", OPT_INT, OFF(video_max_fps), 0, "60", "N",
     "--video=stream: most frames a second; rate control lowers it when the link cannot keep up",
     NULL, 1, 240},
    {"video-quality", OPT_INT, OFF(video_quality), 0, "85", "1-100",
     "--video=stream: JPEG quality of moving frames (the top; rate control lowers it on slow links)",
     NULL, 1, 100},
    {"video-still-quality", OPT_INT, OFF(video_still_quality), 0, "95", "1-100",
     "--video=stream: JPEG quality (4:4:4) of the last frame after motion stops", NULL, 1, 100},
    {"video-codec", OPT_ENUM, OFF(video_codec), 0, "auto", "auto|h264|mjpeg",
     "--video=stream: auto sends H.264 to clients that announce an H.264 decoder and MJPEG to the others; h264 warns when a client has none; mjpeg always sends MJPEG",
     video_codec_names},
    {"video-bitrate", OPT_AUTO_INT, OFF(video_bitrate), 0, "auto", "auto|KBIT",
     "--video=stream: bitrate of moving frames in kbit/s; auto follows what the client's link takes (lower bitrate first, then frame rate, so no queue builds up); KBIT: that rate, with only the frame rate lowered on a slower link",
     NULL, 100, 1000000},
    {"video-max-bitrate", OPT_INT, OFF(video_max_bitrate), 0, "100000", "KBIT",
     "--video=stream: the most kbit/s --video-bitrate=auto ever uses", NULL, 100, 1000000},
    {"video-audio-clock", OPT_BOOL, OFF(video_audio_clock), 0, "true", NULL,
     "--video=stream: keep the sound channel playing (silence too) while the stream runs, so spice-gtk shows frames after its audio latency instead of 400 ms late"},
    {"input", OPT_STRING, OFF(input), 0, "auto", "auto|uinput|xtest|wlr|mutter|fake",
     "how keyboard and pointer events reach the desktop: auto picks mutter with --capture=mutter, wlr on a wlroots compositor that offers a virtual keyboard and pointer, fake with fake capture, else uinput when /dev/uinput is writable, else xtest"},
    {"view-only", OPT_BOOL, OFF(view_only), 0, "false", NULL,
     "ignore all keyboard and pointer input from clients"},
    {"copy-detection", OPT_BOOL, OFF(copy_detection), 0, "true", NULL,
     "send window moves and scrolling as copies of what the client already shows"},
    {"audio", OPT_BOOL, OFF(audio), 0, "true", NULL,
     "send desktop sound to clients and their microphone into the session (needs PulseAudio or PipeWire's pulse server); --audio=off disables it"},
    {"audio-sink", OPT_STRING, OFF(audio_sink), 0, NULL, "NAME",
     "play to clients what this sound server sink plays, instead of creating the sink 'thindesk' and making it the default"},
    {"usb-channels", OPT_INT, OFF(usb_channels), 0, "4", "N",
     "how many USB devices clients may redirect at once (0 disables USB redirection)", NULL, 0,
     16},
    {"usb-attach", OPT_STRING, OFF(usb_attach), 0, "vhci", "vhci|fake",
     "where redirected USB devices go: the guest kernel (vhci_hcd, via thindesk-usb-helper) or the in-tree fake kernel side for tests"},
    {"usb-policy", OPT_STRING, OFF(usb_policy), 0, NULL, "RULES",
     "which USB devices may be redirected, in usbredir filter syntax class,vendor,product,bcd,allow|... with -1 for any (e.g. 0x08,-1,-1,-1,0 denies mass storage); unmatched devices are allowed"},
    {"usb-helper-socket", OPT_STRING, OFF(usb_helper_socket), 0, "/run/thindesk/usb-helper.sock",
     "PATH", "socket of thindesk-usb-helper, which attaches devices to vhci_hcd"},
    {"usb-fake-dump", OPT_STRING, OFF(usb_fake_dump), 0, NULL, "DIR",
     "with --usb-attach=fake: write what the fake kernel side reads from mass storage into DIR"},
    {"resize", OPT_BOOL, OFF(resize), 0, "true", NULL,
     "let clients set the desktop size and monitors (RandR) to match their windows"},
    {"clipboard", OPT_ENUM, OFF(clipboard), 0, "both", "both|to-client|to-guest|off",
     "which way the clipboard is shared (to-client: from the desktop to the client only)",
     clipboard_names},
    {"clipboard-max-size", OPT_INT, OFF(clipboard_max_size), 0, "16777216", "BYTES",
     "largest clipboard content shared either way", NULL, 1024, 256 << 20},
    {"file-transfer", OPT_BOOL, OFF(file_transfer), 0, "true", NULL,
     "accept files that clients send (drag and drop onto the viewer)"},
    {"file-transfer-dir", OPT_STRING, OFF(file_transfer_dir), 0, NULL, "DIR",
     "folder for received files (default: the user's Downloads folder)"},
    {"log-level", OPT_ENUM, NOFIELD, 0, "info", "error|warning|info|debug",
     "how much to log (to the journal when started by systemd, else to standard error)",
     log_level_names},
    {"control-socket", OPT_STRING, OFF(control_socket), 0, NULL, "FILE",
     "Unix socket for 'thindesk-agent ctl' (default: $XDG_RUNTIME_DIR/thindesk/control; none disables it)"},
    {"web-listen", OPT_LISTEN, OFF(web_listen_host), OFF(web_listen_port), "off", "ADDR:PORT|off",
     "serve the browser client over HTTPS on ADDR:PORT with the TLS certificate (off by default: a browser port is a new way in, so the admin opens it; the banner then prints a one-time login link)"},
    {"web-origin", OPT_STRING, OFF(web_origins), 0, NULL, "ORIGIN[,ORIGIN...]",
     "more Origins (https://name:port) allowed to log in and open the browser client's WebSocket, for example a reverse proxy's; the page's own origin is always allowed"},
    {"web-token-seconds", OPT_INT, OFF(web_token_seconds), 0, "600", "SECONDS",
     "how long the one-time browser login link printed at start-up stays valid", NULL, 1, 86400},
    {"metrics", OPT_LISTEN, OFF(metrics_host), OFF(metrics_port), NULL, "ADDR:PORT",
     "serve Prometheus metrics over HTTP on ADDR:PORT, for example 127.0.0.1:9464 (off by default)"},
    {"system", OPT_BOOL, OFF(system_mode), 0, "false", NULL,
     "run as the system service: serve the login screen and follow whoever is active on seat0 (logind, or display-manager hooks), with a placeholder while nobody is"},
    {"seat-source", OPT_ENUM, OFF(seat_source), 0, "auto", "auto|logind|dm-hook",
     "--system: where the active session comes from (auto: logind while it is on the system bus, else display-manager hooks)",
     seat_source_names},
    {"dm-hook-socket", OPT_STRING, OFF(dm_hook_socket), 0, "/run/thindesk/dm-hook.sock", "PATH",
     "--system: root-only socket where 'thindesk-agent dm-hook' (LightDM's display-setup-script, session-setup-script, session-cleanup-script) reports"},
    {"session-socket", OPT_STRING, OFF(session_socket), 0, "/run/thindesk/session.sock", "PATH",
     "--system: socket where the session helper (thindesk-session) of the active user connects; others are refused"},
    {"on-disconnect", OPT_ENUM, OFF(on_disconnect), 0, "lock", "lock|nothing|logout",
     "--system: when the client leaves the user's session, lock it (logind LockSession), leave it as it is, or log the user out (logind TerminateSession)",
     on_disconnect_names},
    {"check-config", OPT_BOOL, OFF(check_config), 0, "false", NULL,
     "validate the configuration, print every effective value with its source, and exit", NULL,
     0, 0, true},
};

#define N_OPTS G_N_ELEMENTS(table)

const char *options_image_compression_name(int value)
{
    return value >= 0 && value < (int)G_N_ELEMENTS(image_compression_names) - 1
               ? image_compression_names[value]
               : "?";
}

const char *options_wan_compression_name(int value)
{
    return value >= 0 && value < (int)G_N_ELEMENTS(wan_names) - 1 ? wan_names[value] : "?";
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(table[i].name) == len && strncmp(table[i].name, name, len) == 0)
            return &table[i];
    return NULL;
}

static char **field_str(struct agent_options *o, size_t off)
{
    return (char **)((char *)o + off);
}
static int *field_int(struct agent_options *o, size_t off)
{
    return (int *)((char *)o + off);
}
static bool *field_bool(struct agent_options *o, size_t off)
{
    return (bool *)((char *)o + off);
}

static bool parse_int(const char *s, long min, long max, int *ret)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *ret = (int)v;
    return true;
}

static bool parse_size(const char *s, int *ret_w, int *ret_h)
{
    g_auto(GStrv) parts = g_strsplit(s, "x", 3);
    return g_strv_length(parts) == 2 && parse_int(parts[0], 16, 16384, ret_w) &&
           parse_int(parts[1], 16, 16384, ret_h);
}

static bool parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (g_ascii_strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return true;
        }
        if (g_ascii_strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return true;
        }
    }
    return false;
}

/* ADDR:PORT, [ADDR6]:PORT, "off" (port 0) or "auto" (port -1); no host for
 * the last two. */
static bool parse_listen(const char *s, char **ret_host, int *ret_port)
{
    if (strcmp(s, "off") == 0 || strcmp(s, "auto") == 0) {
        g_free(*ret_host);
        *ret_host = NULL;
        *ret_port = strcmp(s, "off") == 0 ? 0 : -1;
        return true;
    }
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return false;
    g_autofree char *host = g_strndup(s, colon - s);
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return false;
        char *inner = g_strndup(host + 1, n - 2);
        g_free(host);
        host = inner;
    }
    int port;
    if (!parse_int(colon + 1, 1, 65535, &port))
        return false;
    if (!g_hostname_is_ip_address(host) && strcmp(host, "localhost") != 0)
        return false;
    g_free(*ret_host);
    *ret_host = g_steal_pointer(&host);
    *ret_port = port;
    return true;
}

static int enum_index(const char *const *values, const char *s)
{
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return i;
    return -1;
}

/* Sets one option from text. @where names the source for error messages. */
static bool set_value(struct agent_options *o, const struct opt *opt, const char *value,
                      const char *where, char **ret_error)
{
    bool ok = true;
    switch (opt->type) {
    case OPT_STRING:
        if (opt->offset != NOFIELD) {
            g_free(*field_str(o, opt->offset));
            *field_str(o, opt->offset) = *value ? g_strdup(value) : NULL;
        }
        break;
    case OPT_BOOL:
        ok = parse_bool(value, field_bool(o, opt->offset));
        break;
    case OPT_INT:
        ok = parse_int(value, opt->min, opt->max, field_int(o, opt->offset));
        break;
    case OPT_AUTO_INT:
        if (strcmp(value, "auto") == 0)
            *field_int(o, opt->offset) = 0;
        else
            ok = parse_int(value, opt->min, opt->max, field_int(o, opt->offset));
        break;
    case OPT_ENUM: {
        int i = enum_index(opt->values, value);
        ok = i >= 0;
        if (ok && opt->offset != NOFIELD)
            *field_int(o, opt->offset) = i;
        if (ok && opt->values == log_level_names) {
            g_free(o->log_level);
            o->log_level = g_strdup(value);
        }
        break;
    }
    case OPT_LISTEN:
        ok = parse_listen(value, field_str(o, opt->offset), field_int(o, opt->offset2));
        break;
    case OPT_SIZE:
        ok = parse_size(value, field_int(o, opt->offset), field_int(o, opt->offset2));
        break;
    case OPT_DESKTOP:
        if (parse_bool(value, &o->virtual_desktop))
            break;
        ok = parse_size(value, field_int(o, opt->offset), field_int(o, opt->offset2));
        if (ok)
            o->virtual_desktop = true;
        break;
    }
    if (!ok) {
        g_autofree char *expected =
            opt->type == OPT_BOOL  ? g_strdup("true or false")
            : opt->type == OPT_INT ? g_strdup_printf("a number from %d to %d", opt->min, opt->max)
            : opt->type == OPT_AUTO_INT
                ? g_strdup_printf("auto or a number from %d to %d", opt->min, opt->max)
                                   : g_strdup(opt->arg);
        *ret_error = g_strdup_printf("%s: invalid value '%s' for %s (expected %s)", where, value,
                                     opt->name, expected);
        return false;
    }
    size_t idx = opt - table;
    g_free(o->sources[idx]);
    o->sources[idx] = g_strdup(where);
    return true;
}

static void set_defaults(struct agent_options *o)
{
    o->sources = g_new0(char *, N_OPTS + 1);
    for (size_t i = 0; i < N_OPTS; i++) {
        char *err = NULL;
        if (table[i].def && !set_value(o, &table[i], table[i].def, "default", &err))
            g_error("bad built-in default for %s: %s", table[i].name, err);
        if (!o->sources[i])
            o->sources[i] = g_strdup("default");
    }
    o->virtual_desktop = false;
}

/* The 1-based line of @text that GKeyFile cannot parse, or 0. */
static int syntax_error_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ' || *l == '\t')
            l++;
        if (!*l || *l == '#' || *l == '\r')
            continue;
        if (*l == '[' ? !strchr(l, ']') : !strchr(l, '=') || *l == '=')
            return i + 1;
    }
    return 0;
}

/* The 1-based line of the last "key=" (or "[key]" when @group) in @text, or 0. */
static int find_line(const char *text, const char *key, bool group)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    size_t len = strlen(key);
    int found = 0;
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ' || *l == '\t')
            l++;
        if (group ? l[0] == '[' && strncmp(l + 1, key, len) == 0 && l[len + 1] == ']'
                  : strncmp(l, key, len) == 0 && strchr("= \t", l[len]) && l[len])
            found = i + 1;
    }
    return found;
}

static char *where_line(const char *path, int line)
{
    return line > 0 ? g_strdup_printf("config file %s line %d", path, line)
                    : g_strdup_printf("config file %s", path);
}

/* Returns 1 when loaded, 0 when the file does not exist (and !must_exist),
 * -1 on error. Errors name the file and, where known, the line. */
static int load_file(struct agent_options *o, const char *path, bool must_exist,
                     char **ret_error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    g_autofree char *text = NULL;
    gsize text_len = 0;
    if (!g_file_get_contents(path, &text, &text_len, &gerr)) {
        if (!must_exist && g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return 0;
        *ret_error = g_strdup_printf("config file %s: %s", path, gerr->message);
        return -1;
    }
    if (!g_key_file_load_from_data(kf, text, text_len, G_KEY_FILE_NONE, &gerr)) {
        g_autofree char *where = where_line(path, syntax_error_line(text));
        *ret_error = g_strdup_printf("%s: %s", where, gerr->message);
        return -1;
    }
    gsize n_groups;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, &n_groups);
    for (gsize g = 0; g < n_groups; g++) {
        if (strcmp(groups[g], "agent") != 0) {
            g_autofree char *where = where_line(path, find_line(text, groups[g], true));
            *ret_error = g_strdup_printf("%s: unknown group [%s] (expected [agent])", where,
                                         groups[g]);
            return -1;
        }
    }
    gsize n_keys = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "agent", &n_keys, NULL);
    for (gsize k = 0; k < n_keys; k++) {
        const struct opt *opt = find_opt(keys[k], strlen(keys[k]));
        g_autofree char *where = where_line(path, find_line(text, keys[k], false));
        if (!opt || opt->cli_only) {
            *ret_error = g_strdup_printf("%s: unknown key '%s' in [agent]", where, keys[k]);
            return -1;
        }
        g_autoptr(GError) verr = NULL;
        g_autofree char *value = g_key_file_get_string(kf, "agent", keys[k], &verr);
        if (!value) {
            *ret_error = g_strdup_printf("%s: bad value for '%s': %s", where, keys[k],
                                         verr ? verr->message : "unreadable");
            return -1;
        }
        g_autofree char *error = NULL;
        if (!set_value(o, opt, value, path, &error)) {
            /* set_value names the source; add the line. */
            *ret_error = g_strdup_printf("%s%s", where, error + strlen(path));
            return -1;
        }
    }
    return 1;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads @dir/\*.conf in name order; a missing directory is no error. */
static int load_dropins(struct agent_options *o, const char *dir, char **ret_error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_suffix(n, ".conf") && n[0] != '.')
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        if (load_file(o, path, true, ret_error) < 0)
            return -1;
    }
    return 0;
}

void options_print_help(FILE *out)
{
    fprintf(out, "Usage: thindesk-agent [OPTION]...\n"
                 "Serve this desktop to SPICE clients (remote-viewer, thindesk).\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *opt = &table[i];
        g_autofree char *left = NULL;
        if (opt->type == OPT_BOOL && opt->def && strcmp(opt->def, "true") == 0)
            left = g_strdup_printf("--%s[=on|off]", opt->name);
        else if (opt->type == OPT_BOOL)
            left = g_strdup_printf("--%s", opt->name);
        else if (opt->type == OPT_DESKTOP)
            left = g_strdup_printf("--%s[=%s]", opt->name, opt->arg);
        else
            left = g_strdup_printf("--%s=%s", opt->name, opt->arg);
        fprintf(out, "  %s\n      %s", left, opt->help);
        if (opt->def && opt->type != OPT_BOOL && opt->type != OPT_DESKTOP)
            fprintf(out, " [default: %s]", opt->def);
        else if (opt->type == OPT_BOOL && opt->def && strcmp(opt->def, "true") == 0)
            fprintf(out, " [default: on]");
        fputc('\n', out);
    }
    fprintf(out, "  --help\n      show this help and exit\n"
                 "  --version\n      show the version and exit\n\n"
                 "Settings are read from /etc/thindesk/agent.conf, then\n"
                 "/etc/thindesk/agent.conf.d/*.conf (in name order), then\n"
                 "$XDG_CONFIG_HOME/thindesk/agent.conf, then --config=FILE, in group [agent]\n"
                 "with the option names as keys (for example: listen=0.0.0.0:5900);\n"
                 "the command line wins.\n");
}

enum options_result options_load(struct agent_options *o, int argc, char **argv,
                                 const struct options_paths *paths, FILE *out,
                                 char **ret_error)
{
    memset(o, 0, sizeof(*o));
    set_defaults(o);

    /* First pass: --help, --version, --config, and syntax of the command line. */
    const char *config_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            options_print_help(out);
            return OPTIONS_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out, "thindesk-agent %s\n", THINDESK_VERSION);
            return OPTIONS_EXIT_OK;
        }
        /* Hidden: the build writes the man pages with it. */
        if (g_str_has_prefix(a, "--man=")) {
            if (options_print_man(a + 6, out))
                return OPTIONS_EXIT_OK;
            *ret_error = g_strdup_printf("unknown man page '%s' (expected agent or conf)", a + 6);
            return OPTIONS_USAGE;
        }
        if (strncmp(a, "--", 2) != 0) {
            *ret_error = g_strdup_printf("unexpected argument '%s' (see --help)", a);
            return OPTIONS_USAGE;
        }
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct opt *opt = find_opt(a + 2, len);
        if (!opt) {
            *ret_error = g_strdup_printf("unknown option '%.*s' (see --help)", (int)(len + 2), a);
            return OPTIONS_USAGE;
        }
        bool takes_value = opt->type != OPT_BOOL && opt->type != OPT_DESKTOP;
        if (takes_value && !eq) {
            if (i + 1 >= argc) {
                *ret_error = g_strdup_printf("option --%s needs a value (%s)", opt->name, opt->arg);
                return OPTIONS_USAGE;
            }
            i++;
        }
        if (strcmp(opt->name, "config") == 0)
            config_file = eq ? eq + 1 : argv[i];
    }

    /* Files, lowest precedence first. */
    g_autofree char *user_file =
        paths && paths->user_file
            ? g_strdup(paths->user_file)
            : g_build_filename(g_get_user_config_dir(), "thindesk", "agent.conf", NULL);
    const char *system_file =
        paths && paths->system_file ? paths->system_file : "/etc/thindesk/agent.conf";
    const char *dropin_dir =
        paths && paths->dropin_dir ? paths->dropin_dir : "/etc/thindesk/agent.conf.d";
    if (load_file(o, system_file, false, ret_error) < 0 ||
        load_dropins(o, dropin_dir, ret_error) < 0 ||
        load_file(o, user_file, false, ret_error) < 0 ||
        (config_file && load_file(o, config_file, true, ret_error) < 0))
        return OPTIONS_CONFIG;

    /* Second pass: the command line wins. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct opt *opt = find_opt(a + 2, len);
        const char *value;
        if (opt->type == OPT_BOOL || opt->type == OPT_DESKTOP)
            value = eq ? eq + 1 : "true";
        else
            value = eq ? eq + 1 : argv[++i];
        if (!set_value(o, opt, value, "command line", ret_error))
            return OPTIONS_USAGE;
    }

    /* Checks across options. */
    const char *env_display = g_getenv("DISPLAY");
    if (!o->capture || !o->input) {
        *ret_error = g_strdup_printf("empty %s: expected %s", !o->capture ? "capture" : "input",
                                     !o->capture ? "auto, wlr, mutter, x11 or fake" : "auto, uinput, xtest, wlr, mutter or fake");
        return OPTIONS_USAGE;
    }
    /* The system service follows seat0's X sessions: auto means x11 there. */
    if (o->system_mode && strcmp(o->capture, "auto") == 0) {
        g_free(o->capture);
        o->capture = g_strdup("x11");
    }
    /* auto with a Wayland session is decided later, by asking the compositor. */
    const char *env_wayland = g_getenv("WAYLAND_DISPLAY");
    if (!o->display && (!env_display || !*env_display) &&
        (strcmp(o->capture, "x11") == 0 ||
         (strcmp(o->capture, "auto") == 0 && (!env_wayland || !*env_wayland))) &&
        !o->system_mode)
        o->virtual_desktop = true;
    if (o->system_mode && (o->display || o->virtual_desktop || o->video == VIDEO_STREAM ||
                           strcmp(o->capture, "x11") != 0)) {
        *ret_error = g_strdup("--system follows the seat's X display itself: it takes no --display, --virtual-desktop or --capture other than x11, and serves --video=desktop only");
        return OPTIONS_USAGE;
    }
    if (o->video_bitrate > o->video_max_bitrate) {
        *ret_error = g_strdup_printf("--video-bitrate=%d is above --video-max-bitrate=%d: lower it or raise the maximum", o->video_bitrate, o->video_max_bitrate);
        return OPTIONS_USAGE;
    }
    if (o->disable_ticketing && (o->password_file || o->generate_password)) {
        *ret_error = g_strdup("--disable-ticketing cannot be combined with a password option");
        return OPTIONS_USAGE;
    }
    if (o->tls_listen_port < 0) {
        /* auto: next to the plain port, on the same address */
        if (o->listen_port > 0 && o->listen_port < 65535) {
            o->tls_listen_host = g_strdup(o->listen_host);
            o->tls_listen_port = o->listen_port + 1;
        } else {
            *ret_error = g_strdup("--tls-listen=auto needs a --listen port below 65535: give --tls-listen=ADDR:PORT");
            return OPTIONS_USAGE;
        }
    }
    if (o->listen_port == 0 && o->tls_listen_port == 0) {
        *ret_error = g_strdup("--listen=off and --tls-listen=off leave no way to connect");
        return OPTIONS_USAGE;
    }
    if (o->listen_port > 0 && o->tls_listen_port == o->listen_port &&
        g_strcmp0(o->listen_host, o->tls_listen_host) == 0) {
        *ret_error = g_strdup_printf("--listen and --tls-listen both use port %d: give them different ports", o->listen_port);
        return OPTIONS_USAGE;
    }
    if (o->password_file && o->generate_password) {
        *ret_error = g_strdup("--password-file and --generate-password exclude each other");
        return OPTIONS_USAGE;
    }
    static const char *const captures[] = {"auto", "wlr", "mutter", "x11", "fake", NULL};
    if (enum_index(captures, o->capture) < 0) {
        *ret_error = g_strdup_printf("unknown capture backend '%s' (expected auto, wlr, mutter, x11 or fake)",
                                     o->capture);
        return OPTIONS_USAGE;
    }
    static const char *const inputs[] = {"auto", "uinput", "xtest", "wlr", "mutter", "fake", NULL};
    if (enum_index(inputs, o->input) < 0) {
        *ret_error = g_strdup_printf("unknown input backend '%s' (expected auto, uinput, xtest, wlr, mutter or fake)",
                                     o->input);
        return OPTIONS_USAGE;
    }
    if (strcmp(o->usb_attach, "vhci") != 0 && strcmp(o->usb_attach, "fake") != 0) {
        *ret_error = g_strdup_printf("unknown USB attach backend '%s' (expected vhci or fake)",
                                     o->usb_attach);
        return OPTIONS_USAGE;
    }
    if (o->virtual_desktop && o->display) {
        *ret_error = g_strdup("--virtual-desktop starts its own display: do not give --display");
        return OPTIONS_USAGE;
    }
    if (o->check_config) {
        options_print_effective(o, out);
        return OPTIONS_EXIT_OK;
    }
    return OPTIONS_OK;
}

void options_finish(struct agent_options *o)
{
    /* Every string the table fills, so a new option cannot leak. */
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *opt = &table[i];
        if ((opt->type == OPT_STRING || opt->type == OPT_LISTEN) && opt->offset != NOFIELD)
            g_clear_pointer(field_str(o, opt->offset), g_free);
    }
    g_free(o->log_level);
    if (o->sources)
        g_strfreev(o->sources);
    memset(o, 0, sizeof(*o));
}

const char *options_source(const struct agent_options *o, const char *name)
{
    const struct opt *opt = find_opt(name, strlen(name));
    return opt && o->sources ? o->sources[opt - table] : NULL;
}

/* The effective value of @opt as it would be written in a config file. */
static char *format_value(const struct agent_options *o, const struct opt *opt)
{
    struct agent_options *m = (struct agent_options *)o; /* field accessors only read */
    if (opt->offset == NOFIELD)
        return g_strdup(opt->values == log_level_names ? o->log_level : "");
    switch (opt->type) {
    case OPT_STRING:
        return g_strdup(*field_str(m, opt->offset) ? *field_str(m, opt->offset) : "");
    case OPT_BOOL:
        return g_strdup(*field_bool(m, opt->offset) ? "true" : "false");
    case OPT_INT:
        return g_strdup_printf("%d", *field_int(m, opt->offset));
    case OPT_AUTO_INT:
        if (*field_int(m, opt->offset) == 0)
            return g_strdup("auto");
        return g_strdup_printf("%d", *field_int(m, opt->offset));
    case OPT_ENUM:
        return g_strdup(opt->values[*field_int(m, opt->offset)]);
    case OPT_LISTEN: {
        const char *host = *field_str(m, opt->offset);
        if (!host)
            return g_strdup("");
        return g_strdup_printf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
                               *field_int(m, opt->offset2));
    }
    case OPT_SIZE:
        return g_strdup_printf("%dx%d", *field_int(m, opt->offset), *field_int(m, opt->offset2));
    case OPT_DESKTOP:
        if (!o->virtual_desktop)
            return g_strdup("false");
        return g_strdup_printf("%dx%d", *field_int(m, opt->offset), *field_int(m, opt->offset2));
    }
    return g_strdup("");
}

void options_print_effective(const struct agent_options *o, FILE *out)
{
    fprintf(out, "# thindesk-agent %s: the configuration is valid; effective values:\n"
                 "[agent]\n", THINDESK_VERSION);
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *opt = &table[i];
        if (strcmp(opt->name, "check-config") == 0)
            continue;
        g_autofree char *value = format_value(o, opt);
        g_autofree char *line = g_strdup_printf("%s%s=%s", opt->cli_only ? "# " : "", opt->name,
                                                value);
        fprintf(out, "%-40s # from %s\n", line, o->sources[i]);
    }
}

bool options_describe(size_t index, struct option_info *ret_info)
{
    if (index >= N_OPTS)
        return false;
    const struct opt *opt = &table[index];
    *ret_info = (struct option_info){
        .name = opt->name,
        .arg = opt->type == OPT_BOOL ? NULL : opt->arg,
        .def = opt->type == OPT_BOOL || opt->type == OPT_DESKTOP ? NULL : opt->def,
        .help = opt->help,
        .optional_arg = opt->type == OPT_DESKTOP,
        .cli_only = opt->cli_only,
    };
    return true;
}
