/* session-server: see session-server.h. */
#define _GNU_SOURCE /* struct ucred */
#include "agent/system/session-server.h"

#include "agent/system/session-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct session_server {
    struct session_server_events ev;
    char *path;
    int listen_fd;
    guint listen_watch;
    long active_uid;
    char *active_user, *active_session;
    int conn;        /* the helper, -1: none */
    guint conn_watch;
    bool welcomed;   /* it said hello and got welcome */
    struct ucred peer;
};

static void send_msg(int fd, const struct session_msg *m)
{
    size_t len;
    g_autofree uint8_t *buf = session_proto_format(m, &len);
    if (buf)
        (void)send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void refuse(int fd, const char *reason)
{
    struct session_msg m = {.type = SESSION_MSG_REFUSED, .reason = (char *)reason};
    send_msg(fd, &m);
}

static void drop_helper(struct session_server *s, const char *why)
{
    if (s->conn < 0)
        return;
    g_message("session: helper of uid %u (pid %d) %s", s->peer.uid, s->peer.pid, why);
    if (s->conn_watch)
        g_source_remove(s->conn_watch);
    s->conn_watch = 0;
    close(s->conn);
    s->conn = -1;
    bool was = s->welcomed;
    s->welcomed = false;
    if (was && s->ev.listening)
        s->ev.listening(false, s->ev.user_data);
    if (was && s->ev.helper)
        s->ev.helper(false, s->ev.user_data);
}

static void on_message(struct session_server *s, const struct session_msg *m, int fd,
                       bool *taken)
{
    if (!s->welcomed) {
        if (m->type != SESSION_MSG_HELLO) {
            g_message("session: the helper's first message is %s, not hello",
                      session_msg_type_name(m->type));
            refuse(s->conn, "hello first");
            drop_helper(s, "dropped");
            return;
        }
        if (m->version != SESSION_PROTO_VERSION)
            g_message("session: the helper speaks version %u; this service speaks %d",
                      m->version, SESSION_PROTO_VERSION);
        struct session_msg w = {.type = SESSION_MSG_WELCOME,
                                .session = s->active_session ? s->active_session : ""};
        send_msg(s->conn, &w);
        s->welcomed = true;
        g_message("session: helper of %s (uid %u, pid %d) connected to session %s",
                  s->active_user ? s->active_user : "?", s->peer.uid, s->peer.pid,
                  s->active_session ? s->active_session : "?");
        if (s->ev.helper)
            s->ev.helper(true, s->ev.user_data);
        return;
    }
    switch (m->type) {
    case SESSION_MSG_FILE_FD:
        if (fd < 0) {
            g_message("session: file-fd %u from the helper without a descriptor", m->id);
            if (s->ev.file_error)
                s->ev.file_error(m->id, EPROTO, s->ev.user_data);
            return;
        }
        if (s->ev.file_fd) {
            s->ev.file_fd(m->id, fd, s->ev.user_data);
            *taken = true;
        }
        break;
    case SESSION_MSG_FILE_KEPT:
        if (s->ev.file_kept)
            s->ev.file_kept(m->id, m->name, s->ev.user_data);
        break;
    case SESSION_MSG_PCM:
        if (s->ev.pcm && m->payload_len) {
            /* The payload is not aligned in the datagram buffer. */
            size_t n = m->payload_len / 4;
            g_autofree uint32_t *frames = g_new(uint32_t, n);
            memcpy(frames, m->payload, n * 4);
            s->ev.pcm(frames, n, s->ev.user_data);
        }
        break;
    case SESSION_MSG_LISTENING:
        if (s->ev.listening)
            s->ev.listening(m->on, s->ev.user_data);
        break;
    case SESSION_MSG_FILE_ERROR:
        if (s->ev.file_error)
            s->ev.file_error(m->id, m->err, s->ev.user_data);
        break;
    default:
        g_message("session: ignored %s from the helper", session_msg_type_name(m->type));
        break;
    }
}

/* Only a regular file open for writing, on a file system, is taken from
 * the helper: nothing else the user could hand root (a device, a FIFO). */
static bool fd_is_plain_file(int fd)
{
    struct stat st;
    int fl = fcntl(fd, F_GETFL);
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
           (fl & O_ACCMODE) != O_RDONLY;
}

static gboolean on_conn(int fd, GIOCondition cond, gpointer data)
{
    struct session_server *s = data;
    g_autofree uint8_t *buf = g_malloc(SESSION_PROTO_MAX_MESSAGE + 1);
    union {
        char b[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = SESSION_PROTO_MAX_MESSAGE + 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof(ctl.b)};
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    /* Every descriptor that came along: at most one is used. */
    int fds[4], n_fds = 0;
    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k && n_fds < 4; i++)
            memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    int passed = -1;
    if (n_fds == 1 && fd_is_plain_file(fds[0]))
        passed = fds[0];
    else if (n_fds)
        g_message("session: the helper sent %d descriptor(s); only one regular file open for writing is taken", n_fds);
    bool taken = false;
    if (n <= 0) {
        s->conn_watch = 0;
        drop_helper(s, n == 0 ? "disconnected" : "lost");
        return G_SOURCE_REMOVE;
    }
    struct session_msg m;
    const char *why = NULL;
    if ((size_t)n > SESSION_PROTO_MAX_MESSAGE) {
        g_message("session: dropped a message from the helper: message too long");
    } else if (!session_proto_parse(buf, (size_t)n, &m, &why)) {
        g_message("session: dropped a malformed message from the helper: %s", why);
    } else {
        on_message(s, &m, passed, &taken);
        session_msg_clear(&m);
    }
    for (int i = 0; i < n_fds; i++)
        if (!(taken && fds[i] == passed))
            close(fds[i]);
    (void)cond;
    return G_SOURCE_CONTINUE;
}

static gboolean on_accept(int lfd, GIOCondition cond, gpointer data)
{
    struct session_server *s = data;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return G_SOURCE_CONTINUE;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        g_message("session: refused a session helper: cannot read its credentials: %s",
                  g_strerror(errno));
        close(fd);
        return G_SOURCE_CONTINUE;
    }
    g_autofree char *reason = NULL;
    if (s->active_uid < 0)
        reason = g_strdup("no user session is active on seat0");
    else if ((long)cred.uid != s->active_uid)
        reason = g_strdup_printf("uid %u is not the active session's user (%s, uid %ld)",
                                 cred.uid, s->active_user ? s->active_user : "?",
                                 s->active_uid);
    else if (s->conn >= 0)
        reason = g_strdup("a helper is already connected for this session");
    if (reason) {
        g_message("session: refused a session helper from uid %u (pid %d): %s", cred.uid,
                  cred.pid, reason);
        refuse(fd, reason);
        /* The hello that is already there: read, so that closing does not
         * reset the connection before the peer reads the refusal. */
        char scratch[SESSION_PROTO_MAX_HEAD];
        while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
            ;
        close(fd);
        return G_SOURCE_CONTINUE;
    }
    s->conn = fd;
    s->peer = cred;
    s->welcomed = false;
    s->conn_watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_conn, s);
    (void)cond;
    return G_SOURCE_CONTINUE;
}

struct session_server *session_server_create(const char *path,
                                             const struct session_server_events *ev,
                                             char **ret_error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        *ret_error = g_strdup_printf("session socket path too long: %s", path);
        return NULL;
    }
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        *ret_error = g_strdup_printf("cannot create %s for the session socket: %s", dir,
                                     g_strerror(errno));
        return NULL;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        g_unlink(path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    strcpy(addr.sun_path, path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        chmod(path, 0666) < 0 || listen(fd, 8) < 0) {
        *ret_error = g_strdup_printf("cannot listen for session helpers on %s: %s", path,
                                     g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct session_server *s = g_new0(struct session_server, 1);
    if (ev)
        s->ev = *ev;
    s->path = g_strdup(path);
    s->listen_fd = fd;
    s->conn = -1;
    s->active_uid = -1;
    s->listen_watch = g_unix_fd_add(fd, G_IO_IN, on_accept, s);
    return s;
}

void session_server_set_active(struct session_server *s, long uid, const char *user,
                               const char *session)
{
    if (!s)
        return;
    bool same = uid == s->active_uid && g_strcmp0(session, s->active_session) == 0;
    g_free(s->active_user);
    s->active_user = g_strdup(user);
    g_free(s->active_session);
    s->active_session = g_strdup(session);
    s->active_uid = uid;
    if (!same && s->conn >= 0)
        drop_helper(s, uid < 0 ? "dropped: no user session is active"
                               : "dropped: another session is active");
}

bool session_server_connected(const struct session_server *s)
{
    return s && s->conn >= 0 && s->welcomed;
}

void session_server_destroy(struct session_server *s)
{
    if (!s)
        return;
    s->ev.helper = NULL;
    drop_helper(s, "dropped: the service stops");
    if (s->listen_watch)
        g_source_remove(s->listen_watch);
    close(s->listen_fd);
    g_unlink(s->path);
    g_free(s->path);
    g_free(s->active_user);
    g_free(s->active_session);
    g_free(s);
}

static bool send_file(struct session_server *s, enum session_msg_type type, uint32_t id,
                      const char *name)
{
    if (!session_server_connected(s))
        return false;
    struct session_msg m = {.type = type, .id = id, .name = (char *)name};
    send_msg(s->conn, &m);
    return true;
}

bool session_server_file_open(struct session_server *s, uint32_t id, const char *name)
{
    return send_file(s, SESSION_MSG_FILE_OPEN, id, name);
}

bool session_server_file_keep(struct session_server *s, uint32_t id)
{
    return send_file(s, SESSION_MSG_FILE_KEEP, id, NULL);
}

bool session_server_file_drop(struct session_server *s, uint32_t id)
{
    return send_file(s, SESSION_MSG_FILE_DROP, id, NULL);
}

bool session_server_audio(struct session_server *s, bool on)
{
    if (!session_server_connected(s))
        return false;
    struct session_msg m = {.type = SESSION_MSG_AUDIO, .on = on};
    send_msg(s->conn, &m);
    return true;
}

bool session_server_mic(struct session_server *s, const uint32_t *frames, size_t n)
{
    if (!session_server_connected(s))
        return false;
    const size_t max = (SESSION_PROTO_MAX_MESSAGE - 16) / 4;
    while (n) {
        size_t k = MIN(n, max);
        struct session_msg m = {.type = SESSION_MSG_MIC, .payload = (const uint8_t *)frames,
                                .payload_len = k * 4};
        send_msg(s->conn, &m);
        frames += k;
        n -= k;
    }
    return true;
}
