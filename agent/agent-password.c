/* agent-password: which password clients must give (file, generated,
 * one-time), its re-reading on SIGHUP, and the .vv connection file. */
#include "agent/agent-priv.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

/* --- one-time passwords --- */

/* After first use: at most this long for the client's other channels, and
 * this long after its display channel linked. */
#define ONE_TIME_GRACE_MS 5000
#define ONE_TIME_AFTER_DISPLAY_MS 1000

static gboolean restore_lasting_password(gpointer data)
{
    struct agent *a = data;
    a->restore_idle = 0;
    if (a->one_time)
        return G_SOURCE_REMOVE; /* a new one-time password came meanwhile */
    if (a->password || !a->opts->disable_ticketing) {
        /* Without a lasting password, nobody may get in with anything they
         * could know. */
        g_autofree char *locked = a->password ? NULL : password_generate(GENERATED_PASSWORD_LENGTH);
        server_set_password(a->server, a->password ? a->password : locked, 0, a->one_time_kick);
    } else {
        server_set_password(a->server, NULL, 0, a->one_time_kick);
    }
    a->one_time_kick = false;
    return G_SOURCE_REMOVE;
}

static gboolean on_one_time_timer(gpointer data)
{
    struct agent *a = data;
    a->one_time_timer = 0;
    agent_one_time_retire(a, a->one_time_used ? "used" : "expired");
    return G_SOURCE_REMOVE;
}

/* With @why NULL after first use: wait for the other channels (grace timer);
 * otherwise forget the one-time password now. */
void agent_one_time_retire(struct agent *a, const char *why)
{
    if (!a->one_time)
        return;
    if (a->one_time_timer)
        g_source_remove(a->one_time_timer);
    a->one_time_timer = 0;
    if (!why) {
        a->one_time_timer = g_timeout_add(ONE_TIME_GRACE_MS, on_one_time_timer, a);
        return;
    }
    memset(a->one_time, 0, strlen(a->one_time));
    g_clear_pointer(&a->one_time, g_free);
    a->one_time_used = false;
    /* Not from within spice-server's event: from the loop. */
    if (!a->restore_idle)
        a->restore_idle = g_idle_add(restore_lasting_password, a);
    g_message("one-time password %s: no longer valid", why);
}

void agent_on_channel_linked(int type, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->one_time || !a->one_time_used || type >= 32)
        return;
    a->one_time_channels |= 1u << type;
    const unsigned needed = (1u << SPICE_CHANNEL_DISPLAY) | (1u << SPICE_CHANNEL_INPUTS) |
                            (1u << SPICE_CHANNEL_CURSOR);
    if ((a->one_time_channels & needed) == needed) {
        agent_one_time_retire(a, "used");
    } else if (type == SPICE_CHANNEL_DISPLAY) {
        if (a->one_time_timer)
            g_source_remove(a->one_time_timer);
        a->one_time_timer = g_timeout_add(ONE_TIME_AFTER_DISPLAY_MS, on_one_time_timer, a);
    }
}

int agent_set_one_time_password(struct agent *a, const char *password, int seconds)
{
    if (!password || !*password || strlen(password) > 60 || seconds <= 0)
        return -EINVAL;
    agent_one_time_retire(a, "replaced");
    int rc = server_set_password(a->server, password, seconds, false);
    if (rc < 0)
        return rc;
    a->one_time = g_strdup(password);
    a->one_time_used = false;
    a->one_time_timer = g_timeout_add_seconds(seconds, on_one_time_timer, a);
    g_message("one-time password set, valid for %d s or one connection", seconds);
    return 0;
}

void agent_on_auth_failed(const char *address, void *data)
{
    struct agent *a = data;
    (void)a;
}

/* SIGHUP re-reads --password-file: new clients need the new password,
 * connected ones stay. */
gboolean agent_on_hup_signal(gpointer data)
{
    struct agent *a = data;
    const struct agent_options *o = a->opts;
    if (!o->password_file || strcmp(o->password_file, "-") == 0) {
        g_message("SIGHUP: no password file to re-read");
        return G_SOURCE_CONTINUE;
    }
    char *error = NULL;
    char *pw = password_read(o->password_file, &error);
    if (!pw) {
        g_warning("SIGHUP: %s; keeping the current password", error);
        g_free(error);
        return G_SOURCE_CONTINUE;
    }
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    a->password = pw;
    if (!a->one_time)
        server_set_password(a->server, a->password, 0, false);
    g_message("SIGHUP: password re-read from %s", o->password_file);
    return G_SOURCE_CONTINUE;
}

bool agent_choose_password(struct agent *a)
{
    const struct agent_options *o = a->opts;
    if (o->disable_ticketing) {
        const char *host = NULL;
        if (o->listen_port > 0 && !password_address_is_loopback(o->listen_host))
            host = o->listen_host;
        else if (o->tls_listen_port > 0 && !password_address_is_loopback(o->tls_listen_host))
            host = o->tls_listen_host;
        if (host) {
            g_printerr("thindesk-agent: refusing --disable-ticketing on %s: anyone who can reach "
                       "that address would get the desktop. Listen on 127.0.0.1 (for example "
                       "behind an SSH tunnel) or use a password.\n",
                       host);
            return false;
        }
        g_warning("ticketing disabled: any local user can connect");
        return true;
    }
    if (o->password_file) {
        char *error = NULL;
        a->password = password_read(o->password_file, &error);
        if (!a->password) {
            g_printerr("thindesk-agent: %s\n", error);
            g_free(error);
            return false;
        }
        return true;
    }
    a->password = password_generate(GENERATED_PASSWORD_LENGTH);
    if (!a->password) {
        g_printerr("thindesk-agent: cannot generate a password: no system randomness\n");
        return false;
    }
    return true;
}

char *agent_connect_host(const char *h)
{
    if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
        return g_strdup(g_get_host_name());
    return strchr(h, ':') ? g_strdup_printf("[%s]", h) : g_strdup(h);
}

/* PEM text as one .vv value: GKeyFile turns "\n" back into line breaks. */
static char *vv_escape(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            g_string_append(s, "\\n");
        else if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p != '\r')
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* Writes a remote-viewer connection file with the password, readable only by
 * this user. With TLS it pins our certificate (ca=, host-subject=) and asks
 * for TLS on every channel. Returns its path or NULL. */
char *agent_write_vv_file(struct agent *a)
{
    const struct agent_options *o = a->opts;
    g_autofree char *dir = g_build_filename(g_get_user_runtime_dir(), "thindesk", NULL);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return NULL;
    char *path = g_build_filename(dir, "connect.vv", NULL);
    GString *t = g_string_new("[virt-viewer]\ntype=spice\n");
    if (a->tls && o->tls_listen_port > 0) {
        g_autofree char *host = agent_connect_host(o->tls_listen_host);
        g_autofree char *ca = vv_escape(tls_identity_ca_pem(a->tls));
        g_string_append_printf(t, "host=%s\ntls-port=%d\nsecure-channels=all\nca=%s\nhost-subject=%s\n",
                               host, o->tls_listen_port, ca, tls_identity_subject(a->tls));
    } else {
        g_autofree char *host = agent_connect_host(o->listen_host);
        g_string_append_printf(t, "host=%s\nport=%d\n", host, o->listen_port);
    }
    if (a->password)
        g_string_append_printf(t, "password=%s\n", a->password);
    g_string_append_printf(t, "title=thindesk %s\n", a->display_name);
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
              write(fd, t->str, t->len) == (ssize_t)t->len;
    if (fd >= 0)
        close(fd);
    memset(t->str, 0, t->len);
    g_string_free(t, TRUE);
    if (!ok) {
        g_free(path);
        return NULL;
    }
    return path;
}
