/* session-xfer: see session-xfer.h. */
#include "agent/system/session-xfer.h"

#include "agent/system/session-server.h"
#include "agent/vdagent-file-xfer.h"
#include "agent/vdagent-proto.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <spice/vd_agent.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MAX_TRANSFERS 16

enum xstate { WAIT_FD, RECEIVING, WAIT_KEPT };

struct xfer {
    uint32_t id;
    enum xstate state;
    int fd;
    char *name;
    uint64_t size, done;
};

struct session_xfer {
    struct vdagent_proto *proto;
    struct session_server *server;
    GHashTable *xfers; /* id -> struct xfer */
};

static void xfer_free(struct xfer *t)
{
    if (t->fd >= 0)
        close(t->fd);
    g_free(t->name);
    g_free(t);
}

static void send_io_error(struct session_xfer *x, uint32_t id, int err)
{
    uint8_t detail[5];
    detail[0] = VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO;
    uint32_t code = GUINT32_TO_LE((uint32_t)g_io_error_from_errno(err));
    memcpy(detail + 1, &code, 4);
    vdagent_proto_send_file_xfer_status(x->proto, id, VD_AGENT_FILE_XFER_STATUS_ERROR, detail,
                                        sizeof(detail));
}

/* Ends transfer @t unkept: the helper drops its copy, the file vanishes. */
static void abandon(struct session_xfer *x, struct xfer *t)
{
    session_server_file_drop(x->server, t->id);
    g_hash_table_remove(x->xfers, GUINT_TO_POINTER(t->id));
}

static void finish(struct session_xfer *x, struct xfer *t)
{
    if (fsync(t->fd) < 0) {
        int err = errno;
        g_warning("file transfer %u: syncing '%s' failed: %s; removed", t->id, t->name,
                  g_strerror(err));
        uint32_t id = t->id;
        abandon(x, t);
        send_io_error(x, id, err);
        return;
    }
    close(t->fd);
    t->fd = -1;
    t->state = WAIT_KEPT;
    session_server_file_keep(x->server, t->id);
}

void session_xfer_start(struct session_xfer *x, uint32_t id, const char *keyfile)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *name = NULL;
    guint64 size = 0;
    if (g_key_file_load_from_data(kf, keyfile, (gsize)-1, G_KEY_FILE_NONE, NULL)) {
        name = g_key_file_get_string(kf, "vdagent-file-xfer", "name", NULL);
        size = g_key_file_get_uint64(kf, "vdagent-file-xfer", "size", NULL);
    }
    if (!name || !vdagent_file_xfer_name_ok(name)) {
        g_warning("file transfer %u: refused: no plain file name in the request", id);
        send_io_error(x, id, EINVAL);
        return;
    }
    if (g_hash_table_contains(x->xfers, GUINT_TO_POINTER(id)) ||
        g_hash_table_size(x->xfers) >= MAX_TRANSFERS) {
        g_warning("file transfer %u: refused '%s': duplicate id or too many transfers", id, name);
        send_io_error(x, id, EBUSY);
        return;
    }
    if (!session_server_file_open(x->server, id, name)) {
        g_message("file transfer %u: refused '%s': no session helper (thindesk-session) is connected for the active user",
                  id, name);
        send_io_error(x, id, ENOTCONN);
        return;
    }
    struct xfer *t = g_new0(struct xfer, 1);
    t->id = id;
    t->fd = -1;
    t->name = g_steal_pointer(&name);
    t->size = size;
    g_hash_table_insert(x->xfers, GUINT_TO_POINTER(id), t);
}

void session_xfer_file_fd(struct session_xfer *x, uint32_t id, int fd)
{
    struct xfer *t = g_hash_table_lookup(x->xfers, GUINT_TO_POINTER(id));
    if (!t || t->state != WAIT_FD) {
        close(fd);
        return;
    }
    t->fd = fd;
    t->state = RECEIVING;
    struct statvfs sv;
    if (fstatvfs(fd, &sv) == 0 && t->size > (uint64_t)sv.f_bavail * sv.f_frsize) {
        uint64_t free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
        g_warning("file transfer %u: refused '%s' (%" G_GUINT64_FORMAT " bytes): only %" G_GUINT64_FORMAT " bytes free",
                  id, t->name, (guint64)t->size, (guint64)free_bytes);
        abandon(x, t);
        uint64_t le = GUINT64_TO_LE(free_bytes);
        vdagent_proto_send_file_xfer_status(x->proto, id, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE,
                                            &le, sizeof(le));
        return;
    }
    g_message("file transfer %u: receiving '%s' (%" G_GUINT64_FORMAT " bytes) through the session helper",
              id, t->name, (guint64)t->size);
    if (t->size == 0) {
        finish(x, t);
        return;
    }
    vdagent_proto_send_file_xfer_status(x->proto, id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA,
                                        NULL, 0);
}

void session_xfer_file_kept(struct session_xfer *x, uint32_t id, const char *name)
{
    struct xfer *t = g_hash_table_lookup(x->xfers, GUINT_TO_POINTER(id));
    if (!t || t->state != WAIT_KEPT)
        return;
    g_message("file transfer %u: '%s' received (in the user's Downloads)", id, name);
    g_hash_table_remove(x->xfers, GUINT_TO_POINTER(id));
    vdagent_proto_send_file_xfer_status(x->proto, id, VD_AGENT_FILE_XFER_STATUS_SUCCESS, NULL, 0);
}

void session_xfer_file_error(struct session_xfer *x, uint32_t id, int err)
{
    struct xfer *t = g_hash_table_lookup(x->xfers, GUINT_TO_POINTER(id));
    if (!t)
        return;
    g_warning("file transfer %u: the session helper failed on '%s': %s", id, t->name,
              g_strerror(err));
    g_hash_table_remove(x->xfers, GUINT_TO_POINTER(id));
    send_io_error(x, id, err);
}

void session_xfer_data(struct session_xfer *x, uint32_t id, const uint8_t *data, size_t len)
{
    struct xfer *t = g_hash_table_lookup(x->xfers, GUINT_TO_POINTER(id));
    if (!t || t->state != RECEIVING)
        return;
    if (len > t->size - t->done) {
        g_warning("file transfer %u: the client sent more than the announced %" G_GUINT64_FORMAT " bytes; '%s' removed",
                  id, (guint64)t->size, t->name);
        abandon(x, t);
        send_io_error(x, id, EINVAL);
        return;
    }
    while (len) {
        ssize_t n = write(t->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            g_warning("file transfer %u: writing '%s' failed: %s; removed", id, t->name,
                      g_strerror(err));
            abandon(x, t);
            send_io_error(x, id, err);
            return;
        }
        data += n;
        len -= (size_t)n;
        t->done += (uint64_t)n;
    }
    if (t->done == t->size)
        finish(x, t);
}

void session_xfer_status(struct session_xfer *x, uint32_t id, uint32_t result)
{
    struct xfer *t = g_hash_table_lookup(x->xfers, GUINT_TO_POINTER(id));
    if (!t)
        return;
    g_message("file transfer %u: %s by the client; '%s' removed", id,
              result == VD_AGENT_FILE_XFER_STATUS_CANCELLED ? "cancelled" : "failed", t->name);
    abandon(x, t);
}

void session_xfer_reset(struct session_xfer *x)
{
    GList *all = g_hash_table_get_values(x->xfers);
    for (GList *l = all; l; l = l->next)
        session_server_file_drop(x->server, ((struct xfer *)l->data)->id);
    g_list_free(all);
    g_hash_table_remove_all(x->xfers);
}

void session_xfer_helper_gone(struct session_xfer *x)
{
    GList *ids = g_hash_table_get_keys(x->xfers);
    for (GList *l = ids; l; l = l->next) {
        uint32_t id = GPOINTER_TO_UINT(l->data);
        g_warning("file transfer %u: the session helper went away; removed", id);
        send_io_error(x, id, ECONNRESET);
    }
    g_list_free(ids);
    g_hash_table_remove_all(x->xfers);
}

void session_xfer_set_server(struct session_xfer *x, struct session_server *server)
{
    if (server != x->server)
        session_xfer_reset(x);
    x->server = server;
}

struct session_xfer *session_xfer_create(struct vdagent_proto *proto)
{
    struct session_xfer *x = g_new0(struct session_xfer, 1);
    x->proto = proto;
    x->xfers = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)xfer_free);
    return x;
}

void session_xfer_destroy(struct session_xfer *x)
{
    if (!x)
        return;
    session_xfer_reset(x);
    g_hash_table_destroy(x->xfers);
    g_free(x);
}
