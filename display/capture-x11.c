/* capture-x11: the desktop of an X server through MIT-SHM, DAMAGE and XFixes.
 *
 * Damage is tracked with a NonEmpty DAMAGE object: one notify, then the whole
 * accumulated region is fetched when the consumer is ready for it. Snapshots go
 * straight into pooled shared-memory segments that become the frames. */
#include "display/capture-priv.h"
#include "display/frame-pool.h"
#include "display/windows-x11.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/damage.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>


/* Zero-copy buffers that may be held by the consumer at once. */
#define X11_POOL_BUFFERS 4

struct x11 {
    struct capture *cap;
    char *display_name;
    xcb_connection_t *conn;
    xcb_screen_t *screen;
    xcb_window_t root;
    uint8_t damage_event, xfixes_event, randr_event; /* first event codes */
    bool have_randr;
    xcb_damage_damage_t damage;  /* 0 while stopped */
    xcb_xfixes_region_t region;
    bool damage_notified;
    guint watch;
    struct frame_pool *pool;    /* zero-copy frames for large snapshots */
    struct frame_pool *staging; /* one segment, copied out of at once */
    int shm_buffers;  /* segments alive, in the pool or in frames */
    struct windows_x11 *windows;
    bool lost;
    bool destroyed;   /* capture gone; freed with the last segment */
};

static void x11_lost(struct x11 *x, const char *why)
{
    if (x->lost)
        return;
    x->lost = true;
    char *message = g_strdup_printf("X display %s: %s", x->display_name, why);
    capture_emit_lost(x->cap, message);
    g_free(message);
}

static bool x11_check_connection(struct x11 *x)
{
    if (xcb_connection_has_error(x->conn)) {
        x11_lost(x, "connection to the X server was lost");
        return false;
    }
    return true;
}

/* --- shared memory buffers --- */

struct shm_buffer {
    int shmid;
    xcb_shm_seg_t seg;
};

static uint8_t *shm_alloc(size_t size, void **ret_handle, void *user_data)
{
    struct x11 *x = user_data;
    int shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
    if (shmid < 0) {
        g_warning("shmget of %zu bytes failed: %s", size, g_strerror(errno));
        return NULL;
    }
    void *addr = shmat(shmid, NULL, 0);
    if (addr == (void *)-1) {
        g_warning("shmat failed: %s", g_strerror(errno));
        shmctl(shmid, IPC_RMID, NULL);
        return NULL;
    }
    struct shm_buffer *buf = g_new0(struct shm_buffer, 1);
    buf->shmid = shmid;
    buf->seg = xcb_generate_id(x->conn);
    xcb_generic_error_t *err =
        xcb_request_check(x->conn, xcb_shm_attach_checked(x->conn, buf->seg, shmid, 0));
    /* Once attached, the segment goes away with the last detach. */
    shmctl(shmid, IPC_RMID, NULL);
    if (err) {
        g_warning("X server refused to attach shared memory (error %d)", err->error_code);
        free(err);
        shmdt(addr);
        g_free(buf);
        return NULL;
    }
    x->shm_buffers++;
    *ret_handle = buf;
    return addr;
}

static void shm_free(uint8_t *data, void *handle, void *user_data)
{
    struct x11 *x = user_data;
    struct shm_buffer *buf = handle;
    if (x->conn && !xcb_connection_has_error(x->conn))
        xcb_shm_detach(x->conn, buf->seg);
    shmdt(data);
    g_free(buf);
    if (--x->shm_buffers == 0 && x->destroyed)
        g_free(x);
}

static const struct frame_pool_allocator shm_allocator = {
    .alloc = shm_alloc,
    .free = shm_free,
};

static void x11_make_pool(struct x11 *x)
{
    size_t size = (size_t)x->cap->width * x->cap->height * 4;
    frame_pool_destroy(x->pool);
    frame_pool_destroy(x->staging);
    x->pool = frame_pool_create(size, X11_POOL_BUFFERS, &shm_allocator, x);
    x->staging = frame_pool_create(size, 1, &shm_allocator, x);
}

/* --- cursor --- */

static void x11_fetch_cursor(struct x11 *x)
{
    xcb_xfixes_get_cursor_image_reply_t *reply =
        xcb_xfixes_get_cursor_image_reply(x->conn, xcb_xfixes_get_cursor_image(x->conn), NULL);
    if (!reply)
        return;
    const uint32_t *argb = xcb_xfixes_get_cursor_image_cursor_image(reply);
    int n = xcb_xfixes_get_cursor_image_cursor_image_length(reply);
    if (reply->width > 0 && reply->height > 0 && n >= reply->width * reply->height)
        capture_emit_cursor(x->cap, cursor_image_new(reply->width, reply->height, reply->xhot,
                                                     reply->yhot, reply->cursor_serial, argb));
    free(reply);
}

/* --- geometry --- */

static bool x11_query_size(struct x11 *x, int *ret_width, int *ret_height)
{
    xcb_get_geometry_reply_t *geo =
        xcb_get_geometry_reply(x->conn, xcb_get_geometry(x->conn, x->root), NULL);
    if (!geo)
        return false;
    *ret_width = geo->width;
    *ret_height = geo->height;
    free(geo);
    return true;
}

static void x11_check_resize(struct x11 *x)
{
    int w, h;
    if (!x11_query_size(x, &w, &h) || (w == x->cap->width && h == x->cap->height))
        return;
    g_debug("X screen is now %dx%d", w, h);
    x->cap->width = w;
    x->cap->height = h;
    x11_make_pool(x);
    capture_emit_resized(x->cap, w, h);
}

/* --- events --- */

static void x11_handle_event(struct x11 *x, xcb_generic_event_t *ev)
{
    uint8_t type = ev->response_type & 0x7f;
    if (x->windows)
        windows_x11_handle_event(x->windows, ev);
    if (type == 0) {
        xcb_generic_error_t *err = (xcb_generic_error_t *)ev;
        g_debug("X error %d (request %d.%d)", err->error_code, err->major_code, err->minor_code);
    } else if (type == x->damage_event + XCB_DAMAGE_NOTIFY) {
        if (x->damage && !x->damage_notified) {
            x->damage_notified = true;
            capture_emit_damage_pending(x->cap);
        }
    } else if (type == x->xfixes_event + XCB_XFIXES_CURSOR_NOTIFY) {
        x11_fetch_cursor(x);
    } else if (x->have_randr && type == x->randr_event + XCB_RANDR_SCREEN_CHANGE_NOTIFY) {
        x11_check_resize(x);
    } else if (type == XCB_CONFIGURE_NOTIFY) {
        xcb_configure_notify_event_t *cn = (xcb_configure_notify_event_t *)ev;
        if (cn->window == x->root)
            x11_check_resize(x);
    }
}

static void x11_drain_events(struct x11 *x)
{
    xcb_generic_event_t *ev;
    while (!x->lost && (ev = xcb_poll_for_event(x->conn))) {
        x11_handle_event(x, ev);
        free(ev);
    }
    x11_check_connection(x);
}

static gboolean on_x11_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct x11 *x = data;
    x11_drain_events(x);
    if (x->lost) {
        x->watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* --- ops --- */

static bool x11_query_ext(struct x11 *x, xcb_extension_t *ext, const char *name,
                          uint8_t *ret_first_event, char **ret_error)
{
    const xcb_query_extension_reply_t *r = xcb_get_extension_data(x->conn, ext);
    if (!r || !r->present) {
        if (ret_error)
            *ret_error = g_strdup_printf("X display %s lacks the %s extension", x->display_name,
                                         name);
        return false;
    }
    *ret_first_event = r->first_event;
    return true;
}

static int x11_create(struct capture *cap, const struct capture_config *config,
                      char **ret_error)
{
    const char *name = config->display ? config->display : g_getenv("DISPLAY");
    if (!name || !*name) {
        *ret_error = g_strdup("no X display given: set $DISPLAY or use --display=:N");
        return -EINVAL;
    }
    struct x11 *x = g_new0(struct x11, 1);
    x->cap = cap;
    x->display_name = g_strdup(name);
    int screen_num = 0;
    x->conn = xcb_connect(name, &screen_num);
    if (xcb_connection_has_error(x->conn)) {
        *ret_error = g_strdup_printf(
            "cannot open X display %s: is the X server running, and is $XAUTHORITY right?", name);
        goto err_disconnect;
    }
    xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(x->conn));
    for (int i = 0; i < screen_num && it.rem; i++)
        xcb_screen_next(&it);
    x->screen = it.data;
    x->root = x->screen->root;
    if (x->screen->root_depth != 24 && x->screen->root_depth != 32) {
        *ret_error = g_strdup_printf("X display %s has depth %d; thindesk needs depth 24", name,
                                     x->screen->root_depth);
        goto err_disconnect;
    }

    uint8_t shm_first;
    if (!x11_query_ext(x, &xcb_shm_id, "MIT-SHM", &shm_first, ret_error) ||
        !x11_query_ext(x, &xcb_damage_id, "DAMAGE", &x->damage_event, ret_error) ||
        !x11_query_ext(x, &xcb_xfixes_id, "XFIXES", &x->xfixes_event, ret_error))
        goto err_disconnect;
    x->have_randr = x11_query_ext(x, &xcb_randr_id, "RANDR", &x->randr_event, NULL);

    /* Extensions must be told which versions we speak before use. */
    free(xcb_xfixes_query_version_reply(x->conn, xcb_xfixes_query_version(x->conn, 4, 0), NULL));
    free(xcb_damage_query_version_reply(x->conn, xcb_damage_query_version(x->conn, 1, 1), NULL));
    if (x->have_randr) {
        free(xcb_randr_query_version_reply(x->conn, xcb_randr_query_version(x->conn, 1, 5),
                                           NULL));
        xcb_randr_select_input(x->conn, x->root, XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE);
    }
    uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY;
    xcb_change_window_attributes(x->conn, x->root, XCB_CW_EVENT_MASK, &mask);
    xcb_xfixes_select_cursor_input(x->conn, x->root,
                                   XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
    x->region = xcb_generate_id(x->conn);
    xcb_xfixes_create_region(x->conn, x->region, 0, NULL);

    if (!x11_query_size(x, &cap->width, &cap->height)) {
        *ret_error = g_strdup_printf("X display %s: cannot read the screen size", name);
        goto err_disconnect;
    }
    cap->priv = x;
    x->windows = windows_x11_create(x->conn, x->root);
    x11_make_pool(x);
    x11_fetch_cursor(x);
    x->watch = g_unix_fd_add(xcb_get_file_descriptor(x->conn), G_IO_IN | G_IO_ERR | G_IO_HUP,
                             on_x11_readable, x);
    xcb_flush(x->conn);
    return 0;

err_disconnect:
    xcb_disconnect(x->conn);
    g_free(x->display_name);
    g_free(x);
    return -ENODEV;
}

static void x11_destroy(struct capture *cap)
{
    struct x11 *x = cap->priv;
    if (x->watch)
        g_source_remove(x->watch);
    frame_pool_destroy(x->pool);
    frame_pool_destroy(x->staging);
    windows_x11_destroy(x->windows);
    x->windows = NULL;
    xcb_disconnect(x->conn);
    /* Frames still in use free their segments later, without the connection;
     * the last one frees @x. */
    x->conn = NULL;
    g_clear_pointer(&x->display_name, g_free);
    x->destroyed = true;
    if (x->shm_buffers == 0)
        g_free(x);
}

static void x11_start(struct capture *cap)
{
    struct x11 *x = cap->priv;
    x->damage = xcb_generate_id(x->conn);
    xcb_damage_create(x->conn, x->damage, x->root, XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
    x->damage_notified = false;
    xcb_flush(x->conn);
}

static void x11_stop(struct capture *cap)
{
    struct x11 *x = cap->priv;
    if (x->damage && !x->lost)
        xcb_damage_destroy(x->conn, x->damage);
    x->damage = 0;
    x->damage_notified = false;
    xcb_flush(x->conn);
}

static void x11_collect_damage(struct capture *cap, struct damage *damage)
{
    struct x11 *x = cap->priv;
    if (!x->damage || x->lost)
        return;
    /* Move the accumulated damage into our region object, then read it. Damage
     * drawn after the subtract raises a new notify. */
    x->damage_notified = false;
    xcb_damage_subtract(x->conn, x->damage, XCB_NONE, x->region);
    xcb_xfixes_fetch_region_reply_t *reply =
        xcb_xfixes_fetch_region_reply(x->conn, xcb_xfixes_fetch_region(x->conn, x->region), NULL);
    if (!reply) {
        x11_drain_events(x);
        return;
    }
    const xcb_rectangle_t *r = xcb_xfixes_fetch_region_rectangles(reply);
    int n = xcb_xfixes_fetch_region_rectangles_length(reply);
    for (int i = 0; i < n; i++) {
        g_debug("damage %d,%d %dx%d", r[i].x, r[i].y, r[i].width, r[i].height);
        damage_add(damage, r[i].x, r[i].y, r[i].width, r[i].height);
    }
    free(reply);
    /* Waiting for the reply may have queued events that the fd watch will
     * never see: handle them now. */
    x11_drain_events(x);
}

/* Fetches @rects into @seg at @base_offset, packed one after another. */
static bool x11_fetch(struct x11 *x, xcb_shm_seg_t seg, const struct damage_rect *rects, int n)
{
    xcb_shm_get_image_cookie_t cookies[n];
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        cookies[i] = xcb_shm_get_image(x->conn, x->root, rects[i].x, rects[i].y, rects[i].w,
                                       rects[i].h, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, seg, offset);
        offset += (size_t)rects[i].w * rects[i].h * 4;
    }
    bool ok = true;
    for (int i = 0; i < n; i++) {
        xcb_generic_error_t *err = NULL;
        xcb_shm_get_image_reply_t *reply = xcb_shm_get_image_reply(x->conn, cookies[i], &err);
        if (!reply) {
            /* Usually a resize raced with the grab: the new size comes as an event. */
            g_debug("shm_get_image failed (error %d)", err ? err->error_code : -1);
            ok = false;
        }
        free(reply);
        free(err);
    }
    x11_drain_events(x);
    return ok && !x->lost;
}

/* Large snapshots go straight into a pooled segment that becomes the frame
 * (no copy). spice-server keeps a frame until its drawables are covered by
 * newer ones, which for large ones is soon; small snapshots, and any when
 * every pooled segment is still held, are copied out of the staging segment
 * into a frame of their exact size, so a held buffer never stalls capture. */
static struct frame *x11_grab(struct capture *cap, const struct damage_rect *rects, int n)
{
    struct x11 *x = cap->priv;
    if (x->lost)
        return NULL;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rects[i].w * rects[i].h * 4;
    size_t screen = frame_pool_buffer_size(x->pool);

    void *handle;
    struct frame *frame = total * 2 >= screen ? frame_pool_get(x->pool, &handle) : NULL;
    if (frame) {
        if (x11_fetch(x, ((struct shm_buffer *)handle)->seg, rects, n))
            return frame;
        frame_unref(frame);
        return NULL;
    }
    frame = frame_pool_get(x->staging, &handle);
    if (!frame)
        return NULL;
    struct frame *copy = NULL;
    if (x11_fetch(x, ((struct shm_buffer *)handle)->seg, rects, n)) {
        copy = frame_new(total);
        memcpy(copy->data, frame->data, total);
    }
    frame_unref(frame);
    return copy;
}

static int x11_take_moves(struct capture *cap, struct copy_hint *ret_hints, int max)
{
    struct x11 *x = cap->priv;
    return windows_x11_take_moves(x->windows, ret_hints, max);
}

const struct capture_ops capture_x11_ops = {
    .name = "x11",
    .create = x11_create,
    .destroy = x11_destroy,
    .start = x11_start,
    .stop = x11_stop,
    .collect_damage = x11_collect_damage,
    .grab = x11_grab,
    .take_moves = x11_take_moves,
};
