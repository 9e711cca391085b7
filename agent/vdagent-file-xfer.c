#define _GNU_SOURCE /* O_TMPFILE */

#include "agent/vdagent-file-xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <spice/vd_agent.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MAX_TRANSFERS 16
#define MAX_NAME_TRIES 100

struct xfer {
    uint32_t id;
    int fd;
    char *name;     /* as asked for, or as created in the folder (!anonymous) */
    bool anonymous; /* an O_TMPFILE: no name in the folder until complete */
    uint64_t size, done;
};

struct vdagent_file_xfer {
    struct vdagent_proto *proto;
    char *dir;
    GHashTable *xfers; /* id -> struct xfer */
};

bool vdagent_file_xfer_name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 255 || !g_utf8_validate(name, -1, NULL))
        return false;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static void send_status(struct vdagent_file_xfer *fx, uint32_t id, uint32_t result)
{
    vdagent_proto_send_file_xfer_status(fx->proto, id, result, NULL, 0);
}

static void send_io_error(struct vdagent_file_xfer *fx, uint32_t id, int err)
{
    uint8_t detail[5];
    detail[0] = VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO;
    uint32_t code = GUINT32_TO_LE((uint32_t)g_io_error_from_errno(err));
    memcpy(detail + 1, &code, 4);
    vdagent_proto_send_file_xfer_status(fx->proto, id, VD_AGENT_FILE_XFER_STATUS_ERROR, detail,
                                        sizeof(detail));
}

static void xfer_free(struct xfer *x)
{
    if (x->fd >= 0)
        close(x->fd);
    g_free(x->name);
    g_free(x);
}

/* Closes and removes a transfer; @keep leaves the file (it is complete). An
 * anonymous file that is not kept simply vanishes with its descriptor. */
static void xfer_end(struct vdagent_file_xfer *fx, struct xfer *x, bool keep)
{
    if (!keep && !x->anonymous) {
        g_autofree char *path = g_build_filename(fx->dir, x->name, NULL);
        g_unlink(path);
    }
    g_hash_table_remove(fx->xfers, GUINT_TO_POINTER(x->id));
}

/* "name.ext" → "name (n).ext"; dot files and names without an extension
 * get the number at the end. */
static char *numbered_name(const char *name, int n)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return g_strdup_printf("%s (%d)", name, n);
    return g_strdup_printf("%.*s (%d)%s", (int)(dot - name), name, n, dot);
}

/* Tries @name, then "name (1)", ... with @try_name (0 or -errno); the first
 * that does not exist wins. Returns 0 and sets *ret_name, or -errno. */
static int pick_name(int dfd, const char *name, int (*try_name)(int dfd, const char *n, void *u),
                     void *user, char **ret_name)
{
    int rc = -EEXIST;
    for (int n = 0; n < MAX_NAME_TRIES && rc == -EEXIST; n++) {
        g_autofree char *candidate = n ? numbered_name(name, n) : g_strdup(name);
        if (strlen(candidate) > 255)
            break;
        rc = try_name(dfd, candidate, user);
        if (rc >= 0)
            *ret_name = g_steal_pointer(&candidate);
    }
    return rc;
}

static int try_create(int dfd, const char *name, void *user)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    *(int *)user = fd;
    return 0;
}

/* Opens the file a transfer writes: an unnamed file in the folder
 * (O_TMPFILE), so nobody sees or opens it half-written and nothing is left
 * if the agent dies; it gets its name when complete. Where the file system
 * has no O_TMPFILE, a new file under the final name, never replacing one.
 * Returns the fd, or -errno. */
static int open_file(struct vdagent_file_xfer *fx, struct xfer *x, const char *name)
{
    int fd = open(fx->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
        x->anonymous = true;
        x->name = g_strdup(name);
        return fd;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR)
        return -errno;
    int dfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = pick_name(dfd, name, try_create, &fd, &x->name);
    close(dfd);
    return rc < 0 ? rc : fd;
}

static int try_link(int dfd, const char *name, void *user)
{
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *(int *)user);
    return linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

/* Gives a complete anonymous file its name: the one asked for, or the
 * first free numbered one (linkat never replaces a file). 0 or -errno. */
static int name_file(struct vdagent_file_xfer *fx, struct xfer *x)
{
    if (!x->anonymous)
        return 0;
    int dfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    char *final = NULL;
    int rc = pick_name(dfd, x->name, try_link, &x->fd, &final);
    close(dfd);
    if (rc == 0) {
        g_free(x->name);
        x->name = final;
    }
    return rc;
}

/* All bytes are there: on disk, then under its name, then reported. */
static void finish(struct vdagent_file_xfer *fx, struct xfer *x)
{
    uint32_t id = x->id;
    int rc = fsync(x->fd) < 0 ? -errno : name_file(fx, x);
    if (rc < 0) {
        g_warning("file transfer %u: could not keep '%s' in %s: %s; removed", id, x->name,
                  fx->dir, g_strerror(-rc));
        xfer_end(fx, x, false);
        send_io_error(fx, id, -rc);
        return;
    }
    g_message("file transfer %u: '%s' received", id, x->name);
    xfer_end(fx, x, true);
    send_status(fx, id, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
}

void vdagent_file_xfer_start(struct vdagent_file_xfer *fx, uint32_t id, const char *keyfile)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *name = NULL;
    guint64 size = 0;
    if (g_key_file_load_from_data(kf, keyfile, (gsize)-1, G_KEY_FILE_NONE, NULL)) {
        name = g_key_file_get_string(kf, "vdagent-file-xfer", "name", NULL);
        size = g_key_file_get_uint64(kf, "vdagent-file-xfer", "size", NULL);
    }
    if (!name) {
        g_warning("file transfer %u: no file name in the request; refused", id);
        send_io_error(fx, id, EINVAL);
        return;
    }
    if (!vdagent_file_xfer_name_ok(name)) {
        g_warning("file transfer %u: refused the file name '%s': it must be a plain name, without folders", id, g_utf8_validate(name, -1, NULL) ? name : "?");
        send_io_error(fx, id, EINVAL);
        return;
    }
    if (g_hash_table_contains(fx->xfers, GUINT_TO_POINTER(id)) ||
        g_hash_table_size(fx->xfers) >= MAX_TRANSFERS) {
        g_warning("file transfer %u: refused '%s': duplicate id or too many transfers", id,
                  name);
        send_io_error(fx, id, EBUSY);
        return;
    }
    if (g_mkdir_with_parents(fx->dir, 0700) < 0) {
        int err = errno;
        g_warning("file transfer %u: cannot create the folder %s: %s", id, fx->dir,
                  g_strerror(err));
        send_io_error(fx, id, err);
        return;
    }
    struct statvfs sv;
    if (statvfs(fx->dir, &sv) == 0) {
        uint64_t free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
        if (size > free_bytes) {
            g_warning("file transfer %u: refused '%s' (%" G_GUINT64_FORMAT " bytes): only %" G_GUINT64_FORMAT " bytes free in %s",
                      id, name, (guint64)size,
                      (guint64)free_bytes, fx->dir);
            uint64_t le = GUINT64_TO_LE(free_bytes);
            vdagent_proto_send_file_xfer_status(fx->proto, id,
                                                VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE, &le,
                                                sizeof(le));
            return;
        }
    }
    struct xfer *x = g_new0(struct xfer, 1);
    x->id = id;
    x->size = size;
    x->fd = open_file(fx, x, name);
    if (x->fd < 0) {
        int err = -x->fd;
        g_warning("file transfer %u: cannot create '%s' in %s: %s", id, name, fx->dir,
                  g_strerror(err));
        x->fd = -1;
        xfer_free(x);
        send_io_error(fx, id, err);
        return;
    }
    g_hash_table_insert(fx->xfers, GUINT_TO_POINTER(id), x);
    g_message("file transfer %u: receiving '%s' (%" G_GUINT64_FORMAT " bytes) into %s", id,
              x->name, (guint64)size, fx->dir);
    if (size == 0) {
        finish(fx, x);
        return;
    }
    send_status(fx, id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
}

void vdagent_file_xfer_data(struct vdagent_file_xfer *fx, uint32_t id, const uint8_t *data,
                            size_t len)
{
    struct xfer *x = g_hash_table_lookup(fx->xfers, GUINT_TO_POINTER(id));
    if (!x)
        return; /* cancelled or refused: the client may still have data in flight */
    if (len > x->size - x->done) {
        g_warning("file transfer %u: the client sent more than the announced %" G_GUINT64_FORMAT " bytes; '%s' removed",
                  id, (guint64)x->size, x->name);
        xfer_end(fx, x, false);
        send_io_error(fx, id, EINVAL);
        return;
    }
    while (len) {
        ssize_t n = write(x->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            g_warning("file transfer %u: writing '%s' failed: %s; removed", id, x->name,
                      g_strerror(err));
            xfer_end(fx, x, false);
            send_io_error(fx, id, err);
            return;
        }
        data += n;
        len -= (size_t)n;
        x->done += (uint64_t)n;
    }
    if (x->done == x->size)
        finish(fx, x);
}

void vdagent_file_xfer_status(struct vdagent_file_xfer *fx, uint32_t id, uint32_t result)
{
    struct xfer *x = g_hash_table_lookup(fx->xfers, GUINT_TO_POINTER(id));
    if (!x)
        return;
    g_message("file transfer %u: %s by the client; '%s' removed", id,
              result == VD_AGENT_FILE_XFER_STATUS_CANCELLED ? "cancelled" : "failed", x->name);
    xfer_end(fx, x, false);
}

void vdagent_file_xfer_reset(struct vdagent_file_xfer *fx)
{
    GHashTableIter it;
    gpointer value;
    GPtrArray *all = g_ptr_array_new();
    g_hash_table_iter_init(&it, fx->xfers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_ptr_array_add(all, value);
    for (guint i = 0; i < all->len; i++)
        xfer_end(fx, all->pdata[i], false);
    g_ptr_array_free(all, TRUE);
}

struct vdagent_file_xfer *vdagent_file_xfer_create(struct vdagent_proto *proto, const char *dir)
{
    struct vdagent_file_xfer *fx = g_new0(struct vdagent_file_xfer, 1);
    fx->proto = proto;
    fx->dir = g_strdup(dir);
    fx->xfers = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)xfer_free);
    return fx;
}

void vdagent_file_xfer_destroy(struct vdagent_file_xfer *fx)
{
    if (!fx)
        return;
    vdagent_file_xfer_reset(fx);
    g_hash_table_destroy(fx->xfers);
    g_free(fx->dir);
    g_free(fx);
}
