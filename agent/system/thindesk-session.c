/* thindesk-session: the session helper of the system service. It runs as
 * the user inside the graphical session (user unit or XDG autostart),
 * connects to the service's session.sock (SESSION-PROTO.md) and does there
 * what needs the user's context: the desktop's sound (it records the
 * session's sound server and relays the frames), and files, so that the
 * service (root) never opens a file in the user's home: each file a client sends is created here, as the
 * user, in the Downloads folder, and the service only gets an open
 * descriptor to write into. It reconnects (every 2 s) while the service is
 * absent or refuses it (another session is active). */
#define _GNU_SOURCE /* O_TMPFILE, linkat */
#include "agent/pulse-server.h"
#include "agent/pulse-stream.h"
#include "agent/system/session-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RETRY_MS 2000
#define MAX_FILES 16

struct helper {
    GMainLoop *loop;
    const char *path;
    char *dir;      /* where files land */
    int fd;         /* -1: not connected */
    guint watch;
    bool once;      /* --once: exit instead of reconnecting */
    int exit_code;
    GHashTable *files; /* id -> struct hfile */
    /* Sound: the session's sound server, while connected to the service. */
    struct pulse_server *ps;
    struct pulse_stream *capture; /* the desktop sink's monitor */
    struct pulse_stream *mic;     /* the client's microphone into thindesk-mic */
    bool audio_on;                /* the service wants sound (a client listens) */
    bool listening;               /* an application records from thindesk-mic */
};

/* A file being received: our own descriptor of the unnamed file and the
 * name the client asked for. */
struct hfile {
    int fd;
    char *name;
};

static void hfile_free(struct hfile *f)
{
    close(f->fd);
    g_free(f->name);
    g_free(f);
}

static void send_msg(struct helper *h, const struct session_msg *m, int pass_fd)
{
    size_t len;
    g_autofree uint8_t *buf = session_proto_format(m, &len);
    if (!buf)
        return;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass_fd >= 0) {
        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof(ctl.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    if (sendmsg(h->fd, &mh, MSG_NOSIGNAL) < 0)
        g_message("sending %s failed: %s", session_msg_type_name(m->type), g_strerror(errno));
}

static void file_error(struct helper *h, uint32_t id, int err)
{
    struct session_msg m = {.type = SESSION_MSG_FILE_ERROR, .id = id, .err = err};
    send_msg(h, &m, -1);
}

static void file_open(struct helper *h, const struct session_msg *m)
{
    if (g_hash_table_contains(h->files, GUINT_TO_POINTER(m->id)) ||
        g_hash_table_size(h->files) >= MAX_FILES) {
        file_error(h, m->id, EBUSY);
        return;
    }
    if (g_mkdir_with_parents(h->dir, 0700) < 0) {
        int err = errno;
        g_message("file %u: cannot create %s: %s", m->id, h->dir, g_strerror(err));
        file_error(h, m->id, err);
        return;
    }
    int fd = open(h->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        g_message("file %u: cannot create a file in %s: %s", m->id, h->dir, g_strerror(err));
        file_error(h, m->id, err);
        return;
    }
    struct hfile *f = g_new0(struct hfile, 1);
    f->fd = fd;
    f->name = g_strdup(m->name);
    g_hash_table_insert(h->files, GUINT_TO_POINTER(m->id), f);
    struct session_msg r = {.type = SESSION_MSG_FILE_FD, .id = m->id};
    send_msg(h, &r, fd);
}

/* "name.ext" → "name (n).ext", as the per-user agent names them. */
static char *numbered(const char *name, int n)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return g_strdup_printf("%s (%d)", name, n);
    return g_strdup_printf("%.*s (%d)%s", (int)(dot - name), name, n, dot);
}

static void file_keep(struct helper *h, const struct session_msg *m)
{
    struct hfile *f = g_hash_table_lookup(h->files, GUINT_TO_POINTER(m->id));
    if (!f) {
        file_error(h, m->id, ENOENT);
        return;
    }
    int fd = f->fd;
    g_autofree char *name = g_strdup(f->name);
    int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = dfd < 0 ? errno : EEXIST;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    g_autofree char *final = NULL;
    for (int n = 0; dfd >= 0 && n < 100 && err == EEXIST; n++) {
        g_free(final);
        final = n ? numbered(name, n) : g_strdup(name);
        if (strlen(final) > 255)
            break;
        err = linkat(AT_FDCWD, proc, dfd, final, AT_SYMLINK_FOLLOW) < 0 ? errno : 0;
    }
    if (dfd >= 0)
        close(dfd);
    g_hash_table_remove(h->files, GUINT_TO_POINTER(m->id));
    if (err) {
        g_message("file %u: cannot keep '%s' in %s: %s", m->id, name, h->dir, g_strerror(err));
        file_error(h, m->id, err);
        return;
    }
    g_message("file %u: '%s' landed in %s", m->id, final, h->dir);
    struct session_msg r = {.type = SESSION_MSG_FILE_KEPT, .id = m->id, .name = final};
    send_msg(h, &r, -1);
}

/* --- sound: the desktop sink's monitor, relayed as pcm messages --- */

static void on_captured(const uint32_t *frames, size_t n, void *data)
{
    struct helper *h = data;
    const size_t max = (SESSION_PROTO_MAX_MESSAGE - 16) / 4;
    while (n && h->fd >= 0) {
        size_t k = MIN(n, max);
        struct session_msg m = {.type = SESSION_MSG_PCM, .payload = (const uint8_t *)frames,
                                .payload_len = k * 4};
        size_t len;
        g_autofree uint8_t *buf = session_proto_format(&m, &len);
        /* Never block on the service: a full socket drops this piece. */
        if (buf)
            (void)send(h->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        frames += k;
        n -= k;
    }
}

static void on_sound_ready(pa_context *ctx, const char *monitor, const char *mic_sink, void *data)
{
    struct helper *h = data;
    if (monitor && !h->capture)
        h->capture = pulse_stream_create(ctx, PULSE_STREAM_RECORD, monitor, "desktop sound",
                                         48000, 10, on_captured, h);
    pulse_stream_set_corked(h->capture, !h->audio_on);
    if (mic_sink && !h->mic)
        h->mic = pulse_stream_create(ctx, PULSE_STREAM_PLAYBACK, mic_sink, "client microphone",
                                     48000, 20, NULL, NULL);
    pulse_stream_set_corked(h->mic, !(h->audio_on && h->listening));
    g_message("sound: recording %s for the system service, the client's microphone into %s",
              monitor ? monitor : "nothing", mic_sink ? mic_sink : "nothing");
}

static void on_mic(struct helper *h, const struct session_msg *m)
{
    if (!h->mic || !m->payload_len)
        return;
    size_t n = m->payload_len / 4;
    g_autofree uint32_t *frames = g_new(uint32_t, n);
    memcpy(frames, m->payload, n * 4);
    /* More than the stream takes now is dropped: latency stays bounded. */
    size_t room = pulse_stream_writable(h->mic);
    pulse_stream_write(h->mic, frames, MIN(n, room));
}

static void set_audio(struct helper *h, bool on)
{
    h->audio_on = on;
    pulse_stream_set_corked(h->capture, !on);
    pulse_stream_set_corked(h->mic, !(on && h->listening));
    pulse_server_set_mic_default(h->ps, on);
}

static void on_sound_lost(void *data)
{
    struct helper *h = data;
    g_clear_pointer(&h->capture, pulse_stream_destroy);
    g_clear_pointer(&h->mic, pulse_stream_destroy);
}

static void on_sound_usage(bool playing, bool listening, void *data)
{
    struct helper *h = data;
    (void)playing;
    if (listening == h->listening || h->fd < 0)
        return;
    h->listening = listening;
    pulse_stream_set_corked(h->mic, !(h->audio_on && listening));
    struct session_msg m = {.type = SESSION_MSG_LISTENING, .on = listening};
    send_msg(h, &m, -1);
}

static void sound_start(struct helper *h)
{
    if (h->ps)
        return;
    struct pulse_server_events ev = {.ready = on_sound_ready, .lost = on_sound_lost,
                                     .usage = on_sound_usage, .user_data = h};
    h->ps = pulse_server_create(NULL, &ev);
}

static void sound_stop(struct helper *h)
{
    g_clear_pointer(&h->capture, pulse_stream_destroy);
    g_clear_pointer(&h->mic, pulse_stream_destroy);
    h->listening = false;
    g_clear_pointer(&h->ps, pulse_server_destroy);
    h->audio_on = false;
}

static void disconnect(struct helper *h);
static gboolean try_connect(gpointer data);

static gboolean on_socket(int fd, GIOCondition cond, gpointer data)
{
    struct helper *h = data;
    g_autofree uint8_t *buf = g_malloc(SESSION_PROTO_MAX_MESSAGE + 1);
    ssize_t n = recv(fd, buf, SESSION_PROTO_MAX_MESSAGE + 1, MSG_DONTWAIT | MSG_TRUNC);
    /* ECONNRESET: the service closed while our hello was unread; what it
     * sent before (a refusal) is still queued, and read next time. */
    if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ECONNRESET))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        g_message("the service closed the connection");
        h->exit_code = 1;
        h->watch = 0;
        disconnect(h);
        return G_SOURCE_REMOVE;
    }
    struct session_msg m;
    const char *why = NULL;
    if ((size_t)n > SESSION_PROTO_MAX_MESSAGE || !session_proto_parse(buf, (size_t)n, &m, &why)) {
        g_message("dropped a malformed message from the service: %s", why ? why : "too long");
        return G_SOURCE_CONTINUE;
    }
    switch (m.type) {
    case SESSION_MSG_WELCOME:
        g_message("connected to the system service (session %s)", m.session);
        sound_start(h);
        break;
    case SESSION_MSG_AUDIO:
        set_audio(h, m.on);
        break;
    case SESSION_MSG_MIC:
        on_mic(h, &m);
        break;
    case SESSION_MSG_REFUSED:
        g_message("refused by the system service: %s", m.reason);
        h->exit_code = 1;
        break;
    case SESSION_MSG_FILE_OPEN:
        file_open(h, &m);
        break;
    case SESSION_MSG_FILE_KEEP:
        file_keep(h, &m);
        break;
    case SESSION_MSG_FILE_DROP:
        g_hash_table_remove(h->files, GUINT_TO_POINTER(m.id));
        break;
    default:
        g_message("ignored %s from the service", session_msg_type_name(m.type));
        break;
    }
    session_msg_clear(&m);
    (void)cond;
    return G_SOURCE_CONTINUE;
}

static void disconnect(struct helper *h)
{
    if (h->watch)
        g_source_remove(h->watch);
    h->watch = 0;
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    g_hash_table_remove_all(h->files);
    sound_stop(h);
    if (h->once)
        g_main_loop_quit(h->loop);
    else
        g_timeout_add(RETRY_MS, try_connect, h);
}

static gboolean try_connect(gpointer data)
{
    struct helper *h = data;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_strlcpy(addr.sun_path, h->path, sizeof(addr.sun_path));
    h->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        static int last_errno;
        if (errno != last_errno)
            g_message("cannot reach the system service at %s: %s; retrying", h->path,
                      g_strerror(errno));
        last_errno = errno;
        if (h->fd >= 0)
            close(h->fd);
        h->fd = -1;
        h->exit_code = 1;
        if (h->once)
            g_main_loop_quit(h->loop);
        return h->once ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
    }
    struct session_msg m = {.type = SESSION_MSG_HELLO, .version = SESSION_PROTO_VERSION};
    send_msg(h, &m, -1);
    h->watch = g_unix_fd_add(h->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket, h);
    return G_SOURCE_REMOVE;
}

static gboolean on_term(gpointer data)
{
    g_main_loop_quit(((struct helper *)data)->loop);
    return G_SOURCE_CONTINUE;
}

static const char usage[] =
    "Usage: thindesk-session [OPTION]...\n"
    "The session helper of the thindesk system service (thindesk-agent --system).\n"
    "\n"
    "It runs as the user inside the graphical session (thindesk-session.service,\n"
    "or the XDG autostart entry where the session has no systemd) and connects to\n"
    "the service's socket; the service accepts only the user who is active on\n"
    "seat0. Files that SPICE clients send land in the user's Downloads folder: this\n"
    "helper creates each one as the user and hands the service an open descriptor,\n"
    "so the service never opens a file in the home directory. While connected it\n"
    "sets up the session's sound server as the per-user agent does (a sink\n"
    "\"thindesk\" as the default, a source \"thindesk-mic\") and relays its sound\n"
    "to the service while a client listens, and the client's microphone back.\n"
    "It reconnects every\n"
    "2 seconds while the service is away or refuses it; where no system service\n"
    "runs (no socket) it exits at once.\n"
    "\n"
    "Options:\n"
    "  --socket=PATH\n"
    "      the service's socket (default " SESSION_PROTO_DEFAULT_SOCKET ")\n"
    "  --once\n"
    "      exit when the service refuses or closes the connection, instead of retrying\n"
    "  --help\n"
    "      show this help and exit\n"
    "\n"
    "Exit status:\n"
    "  0  --help was shown, no system service runs here, or stopped by a signal\n"
    "  1  --once: the service was unreachable, refused or closed the connection\n"
    "  2  the command line is wrong\n"
    "\n"
    "Files:\n"
    "  /usr/lib/systemd/user/thindesk-session.service\n"
    "  /etc/xdg/autostart/thindesk-session.desktop\n"
    "\n"
    "See also:\n"
    "  thindesk-agent(1)\n";

int main(int argc, char **argv)
{
    struct helper h = {.path = SESSION_PROTO_DEFAULT_SOCKET, .fd = -1};
    static const struct option longopts[] = {{"socket", required_argument, NULL, 's'},
                                             {"once", no_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            h.path = optarg;
            break;
        case 'o':
            h.once = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "thindesk-session: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!h.once && access(h.path, F_OK) < 0 && errno == ENOENT) {
        /* The autostart entry runs in every session, also where only the
         * per-user agent is used. */
        g_message("no system service here (no %s); nothing to do", h.path);
        return 0;
    }
    const char *dl = g_get_user_special_dir(G_USER_DIRECTORY_DOWNLOAD);
    h.dir = dl ? g_strdup(dl) : g_build_filename(g_get_home_dir(), "Downloads", NULL);
    h.files = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)hfile_free);
    h.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_term, &h);
    g_unix_signal_add(SIGINT, on_term, &h);
    g_message("files land in %s", h.dir);
    if (try_connect(&h) == G_SOURCE_CONTINUE)
        g_timeout_add(RETRY_MS, try_connect, &h);
    if (h.fd >= 0 || !h.once)
        g_main_loop_run(h.loop);
    sound_stop(&h);
    if (h.fd >= 0)
        close(h.fd);
    g_hash_table_destroy(h.files);
    g_main_loop_unref(h.loop);
    g_free(h.dir);
    return h.once ? h.exit_code : 0;
}
