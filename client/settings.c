#include "client/settings.h"

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/exit-status.h"
#include "usb/usb-policy.h"

enum opt_type {
    OPT_STRING,
    OPT_BOOL,
    OPT_INT,
    OPT_PORT,      /* 0..65535, -1 means none (remote-viewer writes that) */
    OPT_RECONNECT, /* never | N | always */
    OPT_POINT,     /* X,Y into two ints, sets have_pointer */
    OPT_FILTER,    /* a string in usbredir filter syntax, checked when set */
};

enum opt_where {
    WHERE_ALL,      /* command line, config files, .vv file where vv_key is set */
    WHERE_CLI_ONLY, /* command line only */
    WHERE_VV_ONLY,  /* only from a .vv file or a URI: not a command-line option */
};

struct opt {
    const char *name; /* --name, and key in [client] */
    enum opt_type type;
    size_t offset, offset2;
    const char *vv_key; /* key in [virt-viewer] of a .vv file, or NULL */
    const char *def;
    const char *arg;
    const char *help;
    int min, max;
    enum opt_where where;
};

#define OFF(field) offsetof(struct settings, field)
#define NOFIELD    ((size_t)-1)

static const struct opt table[] = {
    /* connection */
    {"host", OPT_STRING, OFF(host), 0, "host", NULL, NULL, NULL, 0, 0, WHERE_VV_ONLY},
    {"port", OPT_PORT, OFF(port), 0, "port", NULL, NULL, NULL, 0, 0, WHERE_VV_ONLY},
    {"tls-port", OPT_PORT, OFF(tls_port), 0, "tls-port", NULL, NULL, NULL, 0, 0, WHERE_VV_ONLY},
    {"password", OPT_STRING, OFF(password), 0, "password", NULL, NULL, NULL, 0, 0, WHERE_VV_ONLY},
    {"ca", OPT_STRING, OFF(ca), 0, "ca", NULL, NULL, NULL, 0, 0, WHERE_VV_ONLY},
    {"password-file", OPT_STRING, OFF(password_file), 0, NULL, NULL, "FILE",
     "read the password from the first line of FILE (- reads standard input)"},
    {"config", OPT_STRING, NOFIELD, 0, NULL, NULL, "FILE",
     "read settings from FILE ([client] group) after the system and user config files", 0, 0,
     WHERE_CLI_ONLY},
    {"title", OPT_STRING, OFF(title), 0, "title", NULL, "TEXT", "window title"},
    /* window */
    {"full-screen", OPT_BOOL, OFF(fullscreen), 0, "fullscreen", "false", NULL,
     "start in full screen, one window per monitor"},
    {"kiosk", OPT_BOOL, OFF(kiosk), 0, NULL, "false", NULL,
     "kiosk mode for thin clients: full screen on all monitors, no menus, the window cannot be closed, local hotkeys off except --admin-hotkey, reconnect forever, a status page while disconnected"},
    {"admin-hotkey", OPT_STRING, OFF(admin_hotkey), 0, NULL, "ctrl+alt+shift+F12", "KEYS",
     "in kiosk mode, the key combination that closes the client (for administrators); Ctrl+Alt+F1..F12 without Shift never reach it, X switches terminals with them"},
    {"release-cursor", OPT_STRING, OFF(release_cursor), 0, "release-cursor", "shift+F12", "KEYS",
     "key combination that releases the keyboard and pointer grab"},
    {"toggle-fullscreen", OPT_STRING, OFF(toggle_fullscreen), 0, "toggle-fullscreen", "shift+F11",
     "KEYS", "key combination that toggles full screen"},
    {"audio", OPT_BOOL, OFF(audio), 0, NULL, "true", NULL,
     "play the desktop's sound and send the microphone (--audio=false turns both off)"},
    {"reconnect", OPT_RECONNECT, OFF(reconnect), 0, NULL, "never", "never|N|always",
     "when the connection drops, try again (with backoff) N times or always; --kiosk means always"},
    /* headless */
    {"headless", OPT_BOOL, OFF(headless), 0, NULL, "false", NULL,
     "connect without a window (for scripts, monitoring, tests and benchmarks)"},
    {"screenshot", OPT_STRING, OFF(screenshot), 0, NULL, NULL, "FILE.png",
     "headless: write the first complete frame to FILE.png, then exit 0 once the other actions are done"},
    {"send-keys", OPT_STRING, OFF(send_keys), 0, NULL, NULL, "KEYS",
     "headless: type KEYS after the first frame: text in the US layout, {Name} for a key (Return, Tab, Escape, BackSpace, Up, F1, ...), {ctrl+c} for a combination, {{ for a brace"},
    {"pointer", OPT_POINT, OFF(pointer_x), OFF(pointer_y), NULL, NULL, "X,Y",
     "headless: move the pointer to X,Y (desktop pixels) after the first frame"},
    {"stats", OPT_BOOL, OFF(stats), 0, NULL, "false", NULL,
     "print one JSON line of statistics each second (frames, fps, bytes per channel, round-trip time)"},
    {"record-audio", OPT_STRING, OFF(record_audio), 0, NULL, NULL, "FILE.wav",
     "headless: write the sound the desktop plays to FILE.wav"},
    {"duration", OPT_INT, OFF(duration), 0, NULL, "0", "SECONDS",
     "headless: stop after SECONDS (0: when the actions are done, or with --stats/--record-audio when the server goes)",
     0, 86400 * 365},
    {"timeout", OPT_INT, OFF(timeout), 0, NULL, "30", "SECONDS",
     "give up when no complete frame arrived SECONDS after starting to connect", 1, 3600},
    /* TLS */
    {"ca-file", OPT_STRING, OFF(ca_file), 0, NULL, NULL, "FILE",
     "verify the server's TLS certificate against the CA certificates in FILE"},
    {"host-subject", OPT_STRING, OFF(host_subject), 0, "host-subject", NULL, "SUBJECT",
     "verify that the server certificate's subject is SUBJECT (\"C=XX,L=city,O=org,CN=name\")"},
    {"secure-channels", OPT_STRING, OFF(secure_channels), 0, "secure-channels", NULL, "LIST",
     "channels that must use TLS (main;display;inputs;... or all)"},
    {"known-hosts", OPT_STRING, OFF(known_hosts), 0, NULL, NULL, "FILE",
     "where server keys are pinned when there is no CA (default: $XDG_CONFIG_HOME/thindesk/known_hosts)"},
    /* USB */
    {"usbredir", OPT_BOOL, OFF(usbredir), 0, "enable-usbredir", "true", NULL,
     "allow USB redirection (--usbredir=false turns it off)"},
    {"usb-list", OPT_BOOL, OFF(usb_list), 0, NULL, "false", NULL,
     "list the local USB devices with their usbredir filter fields, and exit", 0, 0,
     WHERE_CLI_ONLY},
    {"usb-redirect", OPT_FILTER, OFF(usb_redirect), 0, NULL, NULL, "FILTER",
     "redirect the devices plugged in now that match FILTER (usbredir filter syntax: class,vendor,product,version,allow|...)"},
    {"usb-auto-redirect", OPT_FILTER, OFF(usb_auto_filter), 0, "usb-filter", NULL, "FILTER",
     "redirect newly plugged devices that match FILTER (same syntax as remote-viewer's usb-filter)"},
    {"usb-autoshare", OPT_BOOL, OFF(usb_autoshare), 0, "enable-usb-autoshare", "false", NULL,
     "redirect newly plugged devices matching the auto-redirect filter"},
    {"share-cd", OPT_STRING, OFF(share_cd), 0, NULL, NULL, "FILE.iso",
     "share FILE.iso with the desktop as a USB CD-ROM drive"},
};

#define N_OPTS G_N_ELEMENTS(table)

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(table[i].name) == len && strncmp(table[i].name, name, len) == 0)
            return &table[i];
    return NULL;
}

static const struct opt *find_vv(const char *key)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (table[i].vv_key && strcmp(table[i].vv_key, key) == 0)
            return &table[i];
    return NULL;
}

static char **field_str(struct settings *s, size_t off)
{
    return (char **)((char *)s + off);
}
static int *field_int(struct settings *s, size_t off)
{
    return (int *)((char *)s + off);
}
static bool *field_bool(struct settings *s, size_t off)
{
    return (bool *)((char *)s + off);
}

static bool parse_int(const char *v, long min, long max, int *ret)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return false;
    *ret = (int)n;
    return true;
}

static bool parse_bool(const char *v, bool *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0) {
            *ret = true;
            return true;
        }
        if (g_ascii_strcasecmp(v, no[i]) == 0) {
            *ret = false;
            return true;
        }
    }
    return false;
}

static bool filter_valid(const char *value)
{
    g_autofree char *why = NULL;
    struct usb_policy *rules = usb_policy_create(value, &why);
    usb_policy_destroy(rules);
    return rules != NULL;
}

static bool set_value_as(struct settings *s, const struct opt *opt, const char *key,
                         const char *value, const char *where, char **ret_error)
{
    bool ok = true;
    switch (opt->type) {
    case OPT_FILTER:
    case OPT_STRING:
        /* A filter is checked here: spice-gtk would only log a bad one and
         * go on without it. */
        if (opt->type == OPT_FILTER && !filter_valid(value)) {
            ok = false;
            break;
        }
        if (opt->offset != NOFIELD) {
            g_free(*field_str(s, opt->offset));
            *field_str(s, opt->offset) = *value ? g_strdup(value) : NULL;
        }
        break;
    case OPT_BOOL:
        ok = parse_bool(value, field_bool(s, opt->offset));
        break;
    case OPT_INT:
        ok = parse_int(value, opt->min, opt->max, field_int(s, opt->offset));
        break;
    case OPT_PORT: {
        int port;
        ok = parse_int(value, -1, 65535, &port);
        if (ok)
            *field_int(s, opt->offset) = port < 0 ? 0 : port;
        break;
    }
    case OPT_RECONNECT:
        if (strcmp(value, "never") == 0)
            s->reconnect = 0;
        else if (strcmp(value, "always") == 0)
            s->reconnect = SETTINGS_RECONNECT_ALWAYS;
        else
            ok = parse_int(value, 0, 1000000, &s->reconnect);
        break;
    case OPT_POINT: {
        g_auto(GStrv) xy = g_strsplit(value, ",", 3);
        int x, y;
        ok = g_strv_length(xy) == 2 && parse_int(g_strstrip(xy[0]), 0, 65535, &x) &&
             parse_int(g_strstrip(xy[1]), 0, 65535, &y);
        if (ok) {
            s->pointer_x = x;
            s->pointer_y = y;
            s->have_pointer = true;
        }
        break;
    }
    }
    if (!ok) {
        g_autofree char *expected =
            opt->type == OPT_BOOL   ? g_strdup("true or false")
            : opt->type == OPT_INT  ? g_strdup_printf("a number from %d to %d", opt->min, opt->max)
            : opt->type == OPT_PORT ? g_strdup("a port number from 1 to 65535")
            : opt->type == OPT_FILTER
                ? g_strdup("usbredir filter rules 'class,vendor,product,version,allow|...', numbers or -1 for any, allow 0 or 1, e.g. 0x08,-1,-1,-1,1|-1,-1,-1,-1,0")
                : g_strdup(opt->arg);
        *ret_error = g_strdup_printf("%s: invalid value '%s' for %s (expected %s)", where, value,
                                     key, expected);
        return false;
    }
    size_t idx = opt - table;
    g_free(s->sources[idx]);
    s->sources[idx] = g_strdup(where);
    return true;
}

static bool set_value(struct settings *s, const struct opt *opt, const char *value,
                      const char *where, char **ret_error)
{
    return set_value_as(s, opt, opt->name, value, where, ret_error);
}

static void set_defaults(struct settings *s)
{
    s->sources = g_new0(char *, N_OPTS + 1);
    for (size_t i = 0; i < N_OPTS; i++) {
        char *err = NULL;
        if (table[i].def && !set_value(s, &table[i], table[i].def, "default", &err))
            g_error("bad built-in default for %s: %s", table[i].name, err);
        if (!s->sources[i])
            s->sources[i] = g_strdup("default");
    }
}

/* 1 loaded, 0 missing (and !must_exist), -1 error. */
static int load_config(struct settings *s, const char *path, bool must_exist, char **ret_error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
        if (!must_exist && g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return 0;
        *ret_error = g_strdup_printf("config file %s: %s", path, gerr->message);
        return -1;
    }
    gsize n_groups;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, &n_groups);
    for (gsize g = 0; g < n_groups; g++) {
        if (strcmp(groups[g], "client") != 0) {
            *ret_error = g_strdup_printf("config file %s: unknown group [%s] (expected [client])",
                                         path, groups[g]);
            return -1;
        }
    }
    gsize n_keys = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "client", &n_keys, NULL);
    for (gsize k = 0; k < n_keys; k++) {
        const struct opt *opt = find_opt(keys[k], strlen(keys[k]));
        if (!opt || opt->where != WHERE_ALL) {
            *ret_error =
                g_strdup_printf("config file %s: unknown key '%s' in [client]", path, keys[k]);
            return -1;
        }
        g_autofree char *value = g_key_file_get_string(kf, "client", keys[k], NULL);
        if (!set_value(s, opt, value ? value : "", path, ret_error))
            return -1;
    }
    return 1;
}

static bool apply_vv(struct settings *s, const struct vv_file *vv, FILE *warn, char **ret_error)
{
    for (guint i = 0; i < vv->keys->len; i++) {
        const char *key = g_ptr_array_index(vv->keys, i);
        const struct opt *opt = find_vv(key);
        if (!opt)
            continue; /* type, delete-this-file: handled by vv-file.c */
        if (!set_value_as(s, opt, key, g_ptr_array_index(vv->values, i), vv->path, ret_error))
            return false;
    }
    for (guint i = 0; warn && i < vv->unknown->len; i++)
        fprintf(warn, "thindesk: %s: ignoring unknown key '%s' in [virt-viewer]\n", vv->path,
                (const char *)g_ptr_array_index(vv->unknown, i));
    s->delete_vv_file = vv->delete_this_file;
    return true;
}

/* spice://HOST:PORT[?tls-port=N&port=N], HOST may be [v6]. */
static bool apply_uri(struct settings *s, const char *uri, char **ret_error)
{
    const char *rest = uri + strlen("spice://");
    g_autofree char *hostport = g_strdup(rest);
    char *query = strchr(hostport, '?');
    if (query)
        *query++ = '\0';
    size_t n = strlen(hostport);
    if (n && hostport[n - 1] == '/')
        hostport[n - 1] = '\0';
    char *host = hostport, *port = NULL;
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        if (!close || (close[1] && close[1] != ':'))
            goto bad;
        *close = '\0';
        host++;
        port = close[1] ? close + 2 : NULL;
    } else {
        port = strrchr(host, ':');
        if (port)
            *port++ = '\0';
    }
    if (!*host)
        goto bad;
    if (!set_value(s, &table[0], host, "command line", ret_error))
        return false;
    if (port && !set_value(s, find_opt("port", 4), port, "command line", ret_error))
        return false;
    if (query) {
        g_auto(GStrv) parts = g_strsplit(query, "&", -1);
        for (int i = 0; parts[i]; i++) {
            char *eq = strchr(parts[i], '=');
            if (!eq)
                goto bad;
            *eq = '\0';
            const struct opt *opt = NULL;
            if (strcmp(parts[i], "port") == 0 || strcmp(parts[i], "tls-port") == 0)
                opt = find_opt(parts[i], strlen(parts[i]));
            if (!opt) {
                *ret_error = g_strdup_printf(
                    "%s: unknown URI parameter '%s' (expected port or tls-port)", uri, parts[i]);
                return false;
            }
            if (!set_value(s, opt, eq + 1, "command line", ret_error))
                return false;
        }
    }
    return true;
bad:
    *ret_error = g_strdup_printf("%s: not a valid address; expected spice://HOST:PORT", uri);
    return false;
}

void settings_print_help(FILE *out)
{
    fprintf(out,
            "Usage: thindesk [OPTION]... spice://HOST:PORT\n"
            "       thindesk [OPTION]... FILE.vv\n"
            "Show a remote desktop served over SPICE (by thindesk-agent or any SPICE server).\n\n"
            "The address is a spice:// URI (spice://HOST:PORT, spice://HOST?tls-port=N) or a\n"
            "remote-viewer connection file (.vv) as handed out by brokers and admin portals.\n\n"
            "Options:\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *opt = &table[i];
        if (opt->where == WHERE_VV_ONLY)
            continue;
        g_autofree char *left = opt->type == OPT_BOOL
                                    ? g_strdup_printf("--%s", opt->name)
                                    : g_strdup_printf("--%s=%s", opt->name, opt->arg);
        fprintf(out, "  %s\n      %s", left, opt->help);
        if (opt->def && opt->type != OPT_BOOL)
            fprintf(out, " [default: %s]", opt->def);
        if (opt->vv_key)
            fprintf(out, " [.vv: %s]", opt->vv_key);
        fputc('\n', out);
    }
    fprintf(
        out,
        "  --help\n      show this help and exit\n"
        "  --version\n      show the version and exit\n\n"
        "Connection files:\n"
        "  The [virt-viewer] group of a .vv file is read: type (must be spice), host, port,\n"
        "  tls-port, password, title, fullscreen, ca, host-subject, secure-channels,\n"
        "  enable-usbredir, usb-filter, enable-usb-autoshare, release-cursor,\n"
        "  toggle-fullscreen, delete-this-file (the file is deleted once read).\n"
        "  Other keys are ignored with a warning.\n\n"
        "Settings:\n"
        "  Read from /etc/thindesk/client.conf, then $XDG_CONFIG_HOME/thindesk/client.conf,\n"
        "  then --config=FILE (group [client], option names as keys), then the .vv file;\n"
        "  the command line wins.\n\n"
        "TLS:\n"
        "  With --ca-file (or ca= in a .vv file) the server certificate is verified against\n"
        "  the CA, and against --host-subject if given. Without a CA the server's public key\n"
        "  is pinned on first use in the known-hosts file (HOST PORT sha256:HEX KEY, one\n"
        "  server a line); later sessions must present that key and a change is refused\n"
        "  naming the line to delete. Only the first use (or a line of an older thindesk\n"
        "  without the KEY field, which then gets it) costs an extra TLS handshake, which\n"
        "  the server logs as one failed connection attempt.\n\n"
        "Exit status:\n"
        "  0   done: screenshot written, duration over, or closed by the user\n"
        "  1   other error (for example a file could not be written)\n"
        "  2   bad command line or config file\n"
        "  3   malformed .vv connection file\n"
        "  10  the host could not be reached\n"
        "  11  the server refused the password\n"
        "  12  the server's TLS certificate failed verification or its pinned key changed\n"
        "  13  the server closed the connection\n"
        "  14  no complete frame within --timeout\n"
        "  15  the server does not speak a SPICE we understand\n\n"
        "Examples:\n"
        "  thindesk spice://desktop42.example.com:5900\n"
        "  thindesk --kiosk --admin-hotkey=ctrl+alt+F10 /run/broker/seat0.vv\n"
        "  thindesk --headless --password-file=pw --screenshot=shot.png spice://127.0.0.1:5900\n");
}

enum settings_result settings_load(struct settings *s, int argc, char **argv,
                                   const struct settings_paths *paths, FILE *out, FILE *warn,
                                   char **ret_error)
{
    memset(s, 0, sizeof(*s));
    set_defaults(s);

    /* First pass: --help, --version, --config, the target, syntax. */
    const char *config_file = NULL;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            settings_print_help(out);
            return SETTINGS_EXIT_OK;
        }
        if (!options_done && strcmp(a, "--version") == 0) {
            fprintf(out, "thindesk %s\n", THINDESK_VERSION);
            return SETTINGS_EXIT_OK;
        }
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || strncmp(a, "--", 2) != 0) {
            if (s->target) {
                *ret_error = g_strdup_printf(
                    "unexpected argument '%s': give one address or .vv file (see --help)", a);
                return SETTINGS_USAGE;
            }
            s->target = g_strdup(a);
            continue;
        }
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct opt *opt = find_opt(a + 2, len);
        if (!opt || opt->where == WHERE_VV_ONLY) {
            *ret_error = g_strdup_printf("unknown option '%.*s' (see --help)", (int)(len + 2), a);
            return SETTINGS_USAGE;
        }
        if (opt->type != OPT_BOOL && !eq) {
            if (i + 1 >= argc) {
                *ret_error = g_strdup_printf("option --%s needs a value (%s)", opt->name, opt->arg);
                return SETTINGS_USAGE;
            }
            i++;
        }
        if (strcmp(opt->name, "config") == 0)
            config_file = eq ? eq + 1 : argv[i];
    }

    g_autofree char *user_file =
        paths && paths->user_file
            ? g_strdup(paths->user_file)
            : g_build_filename(g_get_user_config_dir(), "thindesk", "client.conf", NULL);
    const char *system_file =
        paths && paths->system_file ? paths->system_file : "/etc/thindesk/client.conf";
    if (load_config(s, system_file, false, ret_error) < 0 ||
        load_config(s, user_file, false, ret_error) < 0 ||
        (config_file && load_config(s, config_file, true, ret_error) < 0))
        return SETTINGS_CONFIG;

    if (s->target && vv_file_is_path(s->target)) {
        struct vv_file *vv = vv_file_load(s->target, ret_error);
        if (!vv)
            return SETTINGS_BAD_FILE;
        bool ok = apply_vv(s, vv, warn, ret_error);
        vv_file_destroy(vv);
        if (!ok)
            return SETTINGS_BAD_FILE;
    } else if (s->target && !g_str_has_prefix(s->target, "spice://")) {
        *ret_error = g_strdup_printf(
            "%s: unsupported address; expected spice://HOST:PORT or a .vv file", s->target);
        return SETTINGS_USAGE;
    } else if (s->target && !apply_uri(s, s->target, ret_error)) {
        return SETTINGS_USAGE;
    }

    /* Second pass: the command line wins. */
    options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || strncmp(a, "--", 2) != 0)
            continue;
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct opt *opt = find_opt(a + 2, len);
        const char *value =
            opt->type == OPT_BOOL ? (eq ? eq + 1 : "true") : (eq ? eq + 1 : argv[++i]);
        if (!set_value(s, opt, value, "command line", ret_error))
            return SETTINGS_USAGE;
    }

    /* Checks across settings. */
    if (s->usb_list)
        return SETTINGS_OK;
    if (!s->target) {
        *ret_error = g_strdup("no address: give spice://HOST:PORT or a .vv file (see --help)");
        return SETTINGS_USAGE;
    }
    if (s->port == 0 && s->tls_port == 0) {
        *ret_error = g_strdup_printf("%s: no port; expected spice://HOST:PORT", s->target);
        return SETTINGS_USAGE;
    }
    if (s->kiosk) {
        s->fullscreen = true;
        s->reconnect = SETTINGS_RECONNECT_ALWAYS;
        if (s->headless) {
            *ret_error = g_strdup("--kiosk and --headless exclude each other");
            return SETTINGS_USAGE;
        }
    }
    if (!s->headless && (s->screenshot || s->send_keys || s->have_pointer || s->record_audio)) {
        *ret_error =
            g_strdup("--screenshot, --send-keys, --pointer and --record-audio need --headless");
        return SETTINGS_USAGE;
    }
    /* Found out here rather than once connected, after the desktop shows. */
    if (s->share_cd && (g_file_test(s->share_cd, G_FILE_TEST_IS_DIR) ||
                        access(s->share_cd, R_OK) != 0)) {
        *ret_error = g_strdup_printf("--share-cd=%s: %s", s->share_cd, !g_file_test(s->share_cd, G_FILE_TEST_EXISTS) ? "no such file" : "not a readable file (an ISO image is expected)");
        return SETTINGS_USAGE;
    }
    return SETTINGS_OK;
}

int settings_read_password(struct settings *s, char **ret_error)
{
    if (!s->password_file)
        return 0;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    if (strcmp(s->password_file, "-") == 0) {
        char buf[4096];
        if (!fgets(buf, sizeof(buf), stdin)) {
            *ret_error = g_strdup("--password-file=-: nothing on standard input");
            return -EIO;
        }
        text = g_strdup(buf);
    } else if (!g_file_get_contents(s->password_file, &text, NULL, &err)) {
        *ret_error = g_strdup_printf("cannot read the password file: %s", err->message);
        return -EIO;
    }
    char *nl = strpbrk(text, "\r\n");
    if (nl)
        *nl = '\0';
    g_free(s->password);
    s->password = g_steal_pointer(&text);
    size_t idx = find_opt("password", 8) - table;
    g_free(s->sources[idx]);
    s->sources[idx] = g_strdup(s->password_file);
    return 0;
}

void settings_finish(struct settings *s)
{
    /* Every type set_value_as() stores as a string. */
    for (size_t i = 0; i < N_OPTS; i++)
        if ((table[i].type == OPT_STRING || table[i].type == OPT_FILTER) &&
            table[i].offset != NOFIELD)
            g_free(*field_str(s, table[i].offset));
    g_free(s->target);
    if (s->sources)
        g_strfreev(s->sources);
    memset(s, 0, sizeof(*s));
}

const char *settings_source(const struct settings *s, const char *name)
{
    const struct opt *opt = find_opt(name, strlen(name));
    return opt && s->sources ? s->sources[opt - table] : NULL;
}
