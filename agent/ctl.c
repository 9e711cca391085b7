#include "agent/ctl.h"

#include <errno.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control.h"

static const char usage[] =
    "Usage: thindesk-agent ctl [--control-socket=FILE] COMMAND [ARGUMENT]...\n"
    "Talk to the running thindesk-agent of this user.\n\n"
    "Commands:\n"
    "  status                        clients, screen size, paths, module state (JSON)\n"
    "  disconnect                    disconnect the connected client\n"
    "  set-password PASSWORD|- [SECONDS]\n"
    "                                set the connection password (- reads it from standard\n"
    "                                input), valid for SECONDS (default: no expiry)\n"
    "  events                        print events as they happen, one JSON line each\n"
    "  web-url [SECONDS]             print a one-time browser login link (--web-listen), valid\n"
    "                                SECONDS (default: --web-token-seconds)\n"
    "  send JSON                     send one raw request\n";

static char *request_line(const char *command, const char *password, gint64 expires)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command");
    json_builder_add_string_value(b, command);
    if (password) {
        json_builder_set_member_name(b, "password");
        json_builder_add_string_value(b, password);
        json_builder_set_member_name(b, "expires");
        json_builder_add_int_value(b, expires);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    return g_strconcat(text, "\n", NULL);
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "thindesk-agent ctl: socket path too long: %s\n", path);
        return -1;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "thindesk-agent ctl: cannot connect to %s: %s (is thindesk-agent running?)\n",
                path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* 0 for {"ok": true}, 1 for an error reply (printed), -1 for no reply. */
static int reply_status(const char *line)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, line, -1, NULL))
        return -1;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return -1;
    JsonObject *o = json_node_get_object(root);
    if (!json_object_has_member(o, "ok"))
        return -1; /* an event */
    if (json_object_get_boolean_member(o, "ok"))
        return 0;
    const char *err = json_object_has_member(o, "error")
                          ? json_object_get_string_member(o, "error")
                          : "unknown error";
    fprintf(stderr, "thindesk-agent ctl: %s\n", err);
    return 1;
}

/* The "url" member of an ok reply (web-url), or NULL. */
static char *reply_url(const char *line)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, line, -1, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    JsonObject *o = json_node_get_object(root);
    if (!json_object_has_member(o, "url"))
        return NULL;
    return g_strdup(json_object_get_string_member(o, "url"));
}

int ctl_main(int argc, char **argv)
{
    g_autofree char *path = NULL;
    int i = 1;
    for (; i < argc && g_str_has_prefix(argv[i], "--"); i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (g_str_has_prefix(argv[i], "--control-socket=")) {
            g_free(path);
            path = g_strdup(argv[i] + strlen("--control-socket="));
        } else {
            fprintf(stderr, "thindesk-agent ctl: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    int nargs = argc - i;
    g_autofree char *line = NULL;
    g_autofree char *password = NULL;
    if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "disconnect") == 0 ||
         strcmp(cmd, "events") == 0) && nargs == 0) {
        line = request_line(cmd, NULL, 0);
    } else if (strcmp(cmd, "set-password") == 0 && (nargs == 1 || nargs == 2)) {
        gint64 expires = 0;
        if (nargs == 2 && !g_ascii_string_to_signed(argv[i + 1], 10, 0, G_MAXINT32, &expires,
                                                    NULL)) {
            fprintf(stderr, "thindesk-agent ctl: SECONDS must be a number, not '%s'\n",
                    argv[i + 1]);
            return 2;
        }
        if (strcmp(argv[i], "-") == 0) {
            char buf[256];
            if (!fgets(buf, sizeof(buf), stdin)) {
                fprintf(stderr, "thindesk-agent ctl: no password on standard input\n");
                return 2;
            }
            buf[strcspn(buf, "\r\n")] = '\0';
            password = g_strdup(buf);
            memset(buf, 0, sizeof(buf));
        } else {
            password = g_strdup(argv[i]);
        }
        line = request_line(cmd, password, expires);
    } else if (strcmp(cmd, "web-url") == 0 && nargs <= 1) {
        gint64 seconds = 0;
        if (nargs == 1 && !g_ascii_string_to_signed(argv[i], 10, 1, 86400, &seconds, NULL)) {
            fprintf(stderr, "thindesk-agent ctl: SECONDS must be a number from 1 to 86400, not '%s'\n",
                    argv[i]);
            return 2;
        }
        g_autofree char *text =
            seconds ? g_strdup_printf("{\"command\":\"web-url\",\"seconds\":%" G_GINT64_FORMAT "}\n",
                                      seconds)
                    : g_strdup("{\"command\":\"web-url\"}\n");
        line = g_steal_pointer(&text);
    } else if (strcmp(cmd, "send") == 0 && nargs == 1) {
        line = g_strconcat(argv[i], "\n", NULL);
    } else {
        fprintf(stderr, "thindesk-agent ctl: bad command '%s' or wrong number of arguments\n%s",
                cmd, usage);
        return 2;
    }
    if (!path)
        path = control_default_path();

    int fd = connect_to(path);
    if (fd < 0)
        return 1;
    size_t len = strlen(line);
    if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
        fprintf(stderr, "thindesk-agent ctl: cannot send to %s: %s\n", path, g_strerror(errno));
        close(fd);
        return 1;
    }
    if (password)
        memset(line, 0, len);
    FILE *in = fdopen(fd, "r");
    bool stream = strcmp(cmd, "events") == 0;
    int code = 1;
    char *reply = NULL;
    size_t cap = 0;
    bool want_url = strcmp(cmd, "web-url") == 0;
    while (getline(&reply, &cap, in) > 0) {
        g_autofree char *url = want_url ? reply_url(reply) : NULL;
        if (url)
            printf("%s\n", url);
        else
            fputs(reply, stdout);
        fflush(stdout);
        int st = reply_status(reply);
        if (st >= 0) {
            code = st;
            if (!stream || st != 0)
                break;
        }
    }
    free(reply);
    fclose(in);
    return code;
}
