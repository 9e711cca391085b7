/* capture-wlr: one output of a wlroots compositor (sway) through wlr-screencopy.
 *
 * Each copy is a zwlr_screencopy_frame_v1 with copy_with_damage: the
 * compositor answers only once something was redrawn, with the damage boxes
 * before "ready", so a still screen costs nothing. The next copy is asked for
 * only after the consumer collected the damage, which keeps at most one copy
 * per frame the consumer sends. Copies land in one shared-memory wl_buffer
 * (memfd) in the format the compositor offers, and the damaged boxes move
 * from there into a top-down BGRX shadow that grabs read from. The cursor is
 * drawn into the frames by the compositor (overlay_cursor) and the cursor
 * channel gets an invisible one. The Wayland connection runs on the GLib
 * main loop through display/wayland-source. */
#define _GNU_SOURCE /* memfd_create */
#include "display/wayland-source.h"
#include "display/capture-priv.h"
#include "display/screencopy-damage.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#define WLR_SCREENCOPY_VERSION 3
/* Consecutive failed copies before the output counts as gone. */
#define WLR_MAX_FAILURES           10
#define WLR_RETRY_MS               100
#define WLR_FIRST_FRAME_TIMEOUT_MS 5000
#define WLR_START_FRAME_TIMEOUT_MS 500

struct wlr_buffer {
    struct wl_buffer *buffer;
    uint8_t *data;
    size_t size;
    int width, height, stride;
    uint32_t format;
};

struct wlr {
    struct capture *cap;
    char *name; /* for messages */
    struct wl_display *display;
    struct wl_registry *registry;
    struct wl_shm *shm;
    struct zwlr_screencopy_manager_v1 *manager;
    uint32_t manager_version;
    struct wl_output *output;
    uint32_t output_global;
    struct wayland_source *source;

    /* The copy in flight, and what the compositor offered for it. */
    struct zwlr_screencopy_frame_v1 *frame;
    bool offer_ok;
    uint32_t offer_format, other_format;
    int offer_width, offer_height, offer_stride;
    uint32_t flags;
    GArray *boxes;   /* struct damage_rect, as sent */
    bool frame_done; /* ready or failed arrived (create's wait) */
    bool frame_failed;
    int failures;
    guint retry;

    struct wlr_buffer buf;
    uint8_t *shadow; /* cap->width x cap->height BGRX, top-down */
    bool full_next;  /* treat the next copy as damaged everywhere */
    bool plain_copy; /* copy now instead of waiting for damage */

    struct damage *pending; /* ready for collect_damage */
    bool notified;
    bool lost;
};

static void wlr_request_frame(struct wlr *w);
static void wlr_start_copy(struct wlr *w);

static void wlr_lost(struct wlr *w, const char *why)
{
    if (w->lost)
        return;
    w->lost = true;
    g_autofree char *message = g_strdup_printf("Wayland compositor %s: %s", w->name, why);
    capture_emit_lost(w->cap, message);
}

static void wlr_check_connection(struct wlr *w)
{
    g_autofree char *why = wayland_source_describe_error(w->display);
    if (why)
        wlr_lost(w, why);
}

static void on_connection_lost(const char *why, void *data)
{
    wlr_lost(data, why);
}

/* --- shared-memory buffer --- */

static void wlr_buffer_finish(struct wlr_buffer *b)
{
    if (b->buffer)
        wl_buffer_destroy(b->buffer);
    if (b->data)
        munmap(b->data, b->size);
    *b = (struct wlr_buffer){0};
}

static int wlr_buffer_init(struct wlr *w, struct wlr_buffer *b, int width, int height, int stride,
                           uint32_t format)
{
    size_t size = (size_t)stride * height;
    int fd = memfd_create("thindesk-screencopy", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (ftruncate(fd, (off_t)size) < 0) {
        rc = -errno;
        goto err_close;
    }
    void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) {
        rc = -errno;
        goto err_close;
    }
    struct wl_shm_pool *pool = wl_shm_create_pool(w->shm, fd, (int32_t)size);
    b->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, stride, format);
    wl_shm_pool_destroy(pool);
    b->data = data;
    b->size = size;
    b->width = width;
    b->height = height;
    b->stride = stride;
    b->format = format;
err_close:
    close(fd);
    return rc;
}

/* --- pixels --- */

static bool format_is_bgrx(uint32_t format)
{
    /* Little-endian xRGB words are B, G, R, x in memory: our frame layout. */
    return format == WL_SHM_FORMAT_XRGB8888 || format == WL_SHM_FORMAT_ARGB8888;
}

static bool format_is_rgbx(uint32_t format)
{
    return format == WL_SHM_FORMAT_XBGR8888 || format == WL_SHM_FORMAT_ABGR8888;
}

/* Copies screen rectangle @r from the wl_buffer into the shadow. */
static void wlr_copy_rect(struct wlr *w, const struct damage_rect *r)
{
    const struct wlr_buffer *b = &w->buf;
    bool y_invert = w->flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT;
    int width = w->cap->width;
    for (int y = r->y; y < r->y + r->h; y++) {
        int src_row = y_invert ? b->height - 1 - y : y;
        const uint8_t *src = b->data + (size_t)src_row * b->stride + (size_t)r->x * 4;
        uint8_t *dst = w->shadow + ((size_t)y * width + r->x) * 4;
        if (format_is_bgrx(b->format)) {
            memcpy(dst, src, (size_t)r->w * 4);
        } else {
            for (int x = 0; x < r->w; x++) {
                dst[x * 4 + 0] = src[x * 4 + 2];
                dst[x * 4 + 1] = src[x * 4 + 1];
                dst[x * 4 + 2] = src[x * 4 + 0];
                dst[x * 4 + 3] = src[x * 4 + 3];
            }
        }
    }
}

static void wlr_notify(struct wlr *w)
{
    if (w->cap->running && !w->notified && !damage_is_empty(w->pending)) {
        w->notified = true;
        capture_emit_damage_pending(w->cap);
    }
}

/* --- frame events --- */

static void wlr_frame_finish(struct wlr *w)
{
    if (w->frame)
        zwlr_screencopy_frame_v1_destroy(w->frame);
    w->frame = NULL;
    g_array_set_size(w->boxes, 0);
}

static void on_frame_buffer(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t format,
                            uint32_t width, uint32_t height, uint32_t stride)
{
    struct wlr *w = data;
    bool usable = (format_is_bgrx(format) || format_is_rgbx(format)) && width > 0 && height > 0 &&
                  width <= 16384 && height <= 16384 && stride >= width * 4;
    /* Prefer a layout that needs no swizzle when several are offered. */
    if (usable && (!w->offer_ok || (format_is_bgrx(format) && !format_is_bgrx(w->offer_format)))) {
        w->offer_ok = true;
        w->offer_format = format;
        w->offer_width = (int)width;
        w->offer_height = (int)height;
        w->offer_stride = (int)stride;
    } else if (!usable) {
        w->other_format = format;
    }
    /* Before version 3 there is no buffer_done: this one event is the offer. */
    if (w->manager_version < 3)
        wlr_start_copy(w);
}

static void wlr_start_copy(struct wlr *w)
{
    if (!w->offer_ok) {
        g_autofree char *why = g_strdup_printf(
            "it offers no shared-memory buffer in a format thindesk reads (xrgb8888, argb8888, xbgr8888, abgr8888; got 0x%08x)",
            w->other_format);
        wlr_frame_finish(w);
        wlr_lost(w, why);
        return;
    }
    struct wlr_buffer *b = &w->buf;
    if (!b->buffer || b->width != w->offer_width || b->height != w->offer_height ||
        b->stride != w->offer_stride || b->format != w->offer_format) {
        wlr_buffer_finish(b);
        int rc = wlr_buffer_init(w, b, w->offer_width, w->offer_height, w->offer_stride,
                                 w->offer_format);
        if (rc < 0) {
            g_autofree char *why =
                g_strdup_printf("cannot make a shared-memory buffer: %s", g_strerror(-rc));
            wlr_frame_finish(w);
            wlr_lost(w, why);
            return;
        }
        g_debug("screencopy buffer %dx%d stride %d format 0x%08x", b->width, b->height, b->stride,
                b->format);
    }
    /* The first copy (and one at each start) fills the shadow at once;
     * later ones wait for damage. */
    if (w->manager_version >= 2 && w->shadow && !w->plain_copy)
        zwlr_screencopy_frame_v1_copy_with_damage(w->frame, b->buffer);
    else
        zwlr_screencopy_frame_v1_copy(w->frame, b->buffer);
}

static void on_frame_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *frame)
{
    wlr_start_copy(data);
}

static void on_frame_linux_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *frame,
                                  uint32_t format, uint32_t width, uint32_t height)
{
    /* Shared memory only: the pixels end up in main memory anyway. */
}

static void on_frame_flags(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t flags)
{
    struct wlr *w = data;
    w->flags = flags;
}

static void on_frame_damage(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t x,
                            uint32_t y, uint32_t width, uint32_t height)
{
    struct wlr *w = data;
    struct damage_rect r[2];
    int n = screencopy_damage_to_screen(x, y, width, height, w->buf.width, w->buf.height,
                                        w->flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT, r);
    g_array_append_vals(w->boxes, r, n);
}

static void on_frame_ready(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t tv_sec_hi,
                           uint32_t tv_sec_lo, uint32_t tv_nsec)
{
    struct wlr *w = data;
    struct capture *cap = w->cap;
    const struct wlr_buffer *b = &w->buf;
    bool resized = !w->shadow || b->width != cap->width || b->height != cap->height;
    bool full = resized || w->full_next || w->boxes->len == 0;
    if (resized) {
        g_free(w->shadow);
        w->shadow = g_malloc((size_t)b->width * b->height * 4);
    }
    bool had_size = cap->width > 0;
    cap->width = b->width;
    cap->height = b->height;
    /* Damage boxes were mirrored at arrival only if flags came first; y_invert
     * is rare (GL renderers), so copy everything then. */
    if (w->flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT)
        full = true;
    if (full) {
        struct damage_rect all = {0, 0, b->width, b->height};
        wlr_copy_rect(w, &all);
    } else {
        for (guint i = 0; i < w->boxes->len; i++) {
            const struct damage_rect *r = &g_array_index(w->boxes, struct damage_rect, i);
            wlr_copy_rect(w, r);
            damage_add(w->pending, r->x, r->y, r->w, r->h);
        }
    }
    w->full_next = false;
    w->plain_copy = false;
    w->failures = 0;
    w->frame_done = true;
    wlr_frame_finish(w);
    if (resized) {
        damage_resize(w->pending, b->width, b->height);
        if (had_size) {
            g_debug("output is now %dx%d", b->width, b->height);
            capture_emit_resized(cap, b->width, b->height);
        }
    } else if (full) {
        damage_add_all(w->pending);
    }
    wlr_notify(w);
}

static gboolean on_retry(gpointer data)
{
    struct wlr *w = data;
    w->retry = 0;
    wlr_request_frame(w);
    return G_SOURCE_REMOVE;
}

static void on_frame_failed(void *data, struct zwlr_screencopy_frame_v1 *frame)
{
    struct wlr *w = data;
    wlr_frame_finish(w);
    w->frame_done = true;
    w->frame_failed = true;
    if (++w->failures >= WLR_MAX_FAILURES) {
        wlr_lost(w, "it failed to copy the output ten times in a row (output disabled or gone?)");
        return;
    }
    g_debug("screencopy failed; retrying");
    if (!w->retry && w->cap->running)
        w->retry = g_timeout_add(WLR_RETRY_MS, on_retry, w);
}

static const struct zwlr_screencopy_frame_v1_listener frame_listener = {
    .buffer = on_frame_buffer,
    .flags = on_frame_flags,
    .ready = on_frame_ready,
    .failed = on_frame_failed,
    .damage = on_frame_damage,
    .linux_dmabuf = on_frame_linux_dmabuf,
    .buffer_done = on_frame_buffer_done,
};

static void wlr_request_frame(struct wlr *w)
{
    if (w->frame || w->lost || w->retry)
        return;
    w->offer_ok = false;
    w->other_format = 0;
    w->flags = 0;
    w->frame_done = false;
    w->frame_failed = false;
    g_array_set_size(w->boxes, 0);
    /* The cursor goes into the pixels: sway 1.7 (wlroots 0.15) has no
     * protocol that tells a client the cursor's shape, so the frames are the
     * only honest place for it (see wlr_create for the cursor channel). */
    w->frame = zwlr_screencopy_manager_v1_capture_output(w->manager, 1, w->output);
    zwlr_screencopy_frame_v1_add_listener(w->frame, &frame_listener, w);
}

/* --- registry --- */

struct wlr_globals {
    uint32_t screencopy_version;
    bool gtk_shell, kde_shell;
};

static void on_global(void *data, struct wl_registry *registry, uint32_t name,
                      const char *interface, uint32_t version)
{
    struct wlr *w = data;
    if (strcmp(interface, wl_shm_interface.name) == 0 && !w->shm) {
        w->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
    } else if (strcmp(interface, wl_output_interface.name) == 0 && !w->output) {
        w->output = wl_registry_bind(registry, name, &wl_output_interface, 1);
        w->output_global = name;
    } else if (strcmp(interface, zwlr_screencopy_manager_v1_interface.name) == 0 && !w->manager) {
        w->manager_version = MIN(version, WLR_SCREENCOPY_VERSION);
        w->manager = wl_registry_bind(registry, name, &zwlr_screencopy_manager_v1_interface,
                                      w->manager_version);
    }
}

static void on_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
    struct wlr *w = data;
    if (w->output && name == w->output_global)
        wlr_lost(w, "the output went away");
}

static const struct wl_registry_listener registry_listener = {
    .global = on_global,
    .global_remove = on_global_remove,
};

/* --- ops --- */

static const char *wayland_name(const char *given)
{
    const char *name = given ? given : g_getenv("WAYLAND_DISPLAY");
    return name && *name ? name : NULL;
}

/* Waits (blocking, at create time) for the copy in flight to end. */
static bool wlr_wait_frame(struct wlr *w, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    /* Give back the loop source's read intent: reading here with it open
     * would wait for that reader forever. */
    wayland_source_cancel_read(w->source);
    while (!w->frame_done && !w->lost) {
        if (wl_display_dispatch_pending(w->display) < 0)
            break;
        if (w->frame_done)
            break;
        if (wl_display_prepare_read(w->display) != 0)
            continue;
        wl_display_flush(w->display);
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd pfd = {.fd = wl_display_get_fd(w->display), .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            wl_display_cancel_read(w->display);
            return false;
        }
        if (wl_display_read_events(w->display) < 0)
            break;
    }
    wlr_check_connection(w);
    return w->frame_done && !w->frame_failed && !w->lost;
}

static void wlr_free(struct wlr *w)
{
    if (w->retry)
        g_source_remove(w->retry);
    wayland_source_destroy(w->source);
    if (w->display) {
        wlr_frame_finish(w);
        wlr_buffer_finish(&w->buf);
        if (w->manager)
            zwlr_screencopy_manager_v1_destroy(w->manager);
        if (w->output)
            wl_output_destroy(w->output);
        if (w->shm)
            wl_shm_destroy(w->shm);
        if (w->registry)
            wl_registry_destroy(w->registry);
        wl_display_disconnect(w->display);
    }
    g_array_unref(w->boxes);
    damage_destroy(w->pending);
    g_free(w->shadow);
    g_free(w->name);
    g_free(w);
}

static int wlr_create(struct capture *cap, const struct capture_config *config, char **ret_error)
{
    const char *name = wayland_name(config->wayland_display);
    if (!name) {
        *ret_error = g_strdup(
            "no Wayland display: --capture=wlr needs $WAYLAND_DISPLAY (run the agent inside the sway session)");
        return -EINVAL;
    }
    struct wlr *w = g_new0(struct wlr, 1);
    w->cap = cap;
    w->name = g_strdup(name);
    w->boxes = g_array_new(FALSE, FALSE, sizeof(struct damage_rect));
    w->pending = damage_create(1, 1);
    int rc = -ENODEV;
    w->display = wl_display_connect(name);
    if (!w->display) {
        *ret_error = g_strdup_printf(
            "cannot connect to Wayland display %s: %s (is the compositor running, and is $XDG_RUNTIME_DIR right?)",
            name, g_strerror(errno));
        goto err_free;
    }
    w->registry = wl_display_get_registry(w->display);
    wl_registry_add_listener(w->registry, &registry_listener, w);
    if (wl_display_roundtrip(w->display) < 0) {
        *ret_error = g_strdup_printf("Wayland display %s: the compositor hung up", name);
        goto err_free;
    }
    if (!w->manager) {
        *ret_error = g_strdup_printf(
            "Wayland display %s: the compositor does not offer wlr-screencopy (zwlr_screencopy_manager_v1), so --capture=wlr cannot work; it needs a wlroots compositor such as sway",
            name);
        goto err_free;
    }
    if (!w->shm || !w->output) {
        *ret_error = g_strdup_printf("Wayland display %s: the compositor offers %s", name,
                                     !w->shm ? "no wl_shm" : "no output to capture");
        goto err_free;
    }
    /* One plain copy now: the size, and pixels for the first grab. */
    wlr_request_frame(w);
    if (!wlr_wait_frame(w, WLR_FIRST_FRAME_TIMEOUT_MS)) {
        *ret_error =
            w->lost
                ? g_strdup_printf("Wayland display %s: lost while copying the first frame", name)
                : g_strdup_printf(
                      "Wayland display %s: the compositor did not copy the output within %d s",
                      name, WLR_FIRST_FRAME_TIMEOUT_MS / 1000);
        goto err_free;
    }
    damage_clear(w->pending);
    w->notified = false;
    /* The frames show the compositor's own cursor, in its real shape: an
     * invisible cursor on the cursor channel keeps clients from drawing a
     * second, guessed arrow over it. */
    capture_emit_cursor(cap, cursor_image_new(1, 1, 0, 0, 1, &(uint32_t){0}));
    g_debug("Wayland display %s: screencopy v%u, output %dx%d", name, w->manager_version,
            cap->width, cap->height);

    w->source = wayland_source_create(w->display, on_connection_lost, w);
    cap->priv = w;
    return 0;

err_free:
    /* Errors from here on are the creator's to report: no lost event. */
    w->lost = true;
    wlr_free(w);
    return rc;
}

static void wlr_destroy(struct capture *cap)
{
    wlr_free(cap->priv);
}

static void wlr_start(struct capture *cap)
{
    struct wlr *w = cap->priv;
    /* Nothing was copied while stopped, and the consumer grabs the shadow as
     * soon as it starts: bring it up to date now, with a plain copy (a
     * copy_with_damage still in flight would wait for the next redraw). Like
     * the X server's synchronous grabs, this blocks for about one frame. */
    if (w->retry)
        g_source_remove(w->retry);
    w->retry = 0;
    wlr_frame_finish(w);
    w->full_next = true;
    w->plain_copy = true;
    w->notified = false;
    wlr_request_frame(w);
    if (!wlr_wait_frame(w, WLR_START_FRAME_TIMEOUT_MS))
        g_debug("no fresh frame at start within %d ms; it follows", WLR_START_FRAME_TIMEOUT_MS);
    if (!w->lost)
        wl_display_flush(w->display);
}

static void wlr_stop(struct capture *cap)
{
    struct wlr *w = cap->priv;
    /* A copy in flight may finish; its damage waits for the next start. */
    if (w->retry)
        g_source_remove(w->retry);
    w->retry = 0;
    w->notified = false;
}

static void wlr_collect_damage(struct capture *cap, struct damage *damage)
{
    struct wlr *w = cap->priv;
    w->notified = false;
    struct damage_rect rects[64];
    int n;
    while ((n = damage_take(w->pending, rects, G_N_ELEMENTS(rects))) > 0) {
        for (int i = 0; i < n; i++)
            damage_add(damage, rects[i].x, rects[i].y, rects[i].w, rects[i].h);
    }
    if (cap->running)
        wlr_request_frame(w);
}

static struct frame *wlr_grab(struct capture *cap, const struct damage_rect *rects, int n)
{
    struct wlr *w = cap->priv;
    if (w->lost)
        return NULL;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rects[i].w * rects[i].h * 4;
    struct frame *frame = frame_new(total);
    uint8_t *dst = frame->data;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        for (int y = 0; y < r->h; y++) {
            memcpy(dst, w->shadow + ((size_t)(r->y + y) * cap->width + r->x) * 4, (size_t)r->w * 4);
            dst += (size_t)r->w * 4;
        }
    }
    return frame;
}

/* --- probe --- */

static void on_probe_global(void *data, struct wl_registry *registry, uint32_t name,
                            const char *interface, uint32_t version)
{
    struct wlr_globals *g = data;
    if (strcmp(interface, zwlr_screencopy_manager_v1_interface.name) == 0)
        g->screencopy_version = version;
    else if (strcmp(interface, "gtk_shell1") == 0)
        g->gtk_shell = true;
    else if (strcmp(interface, "org_kde_plasma_shell") == 0)
        g->kde_shell = true;
}

static void on_probe_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener probe_listener = {
    .global = on_probe_global,
    .global_remove = on_probe_global_remove,
};

static int wlr_probe(const char *where, char **ret_reason)
{
    const char *name = wayland_name(where);
    if (!name) {
        *ret_reason = g_strdup("WAYLAND_DISPLAY is not set");
        return 0;
    }
    struct wl_display *d = wl_display_connect(name);
    if (!d) {
        int err = errno;
        *ret_reason =
            g_strdup_printf("cannot connect to Wayland display %s: %s", name, g_strerror(err));
        return err ? -err : -ECONNREFUSED;
    }
    struct wlr_globals g = {0};
    struct wl_registry *registry = wl_display_get_registry(d);
    wl_registry_add_listener(registry, &probe_listener, &g);
    int rc = wl_display_roundtrip(d) < 0 ? -EPIPE : 0;
    wl_registry_destroy(registry);
    wl_display_disconnect(d);
    if (rc < 0) {
        *ret_reason = g_strdup_printf("Wayland display %s hung up during the probe", name);
        return rc;
    }
    if (g.screencopy_version > 0) {
        *ret_reason =
            g_strdup_printf("WAYLAND_DISPLAY=%s and the compositor offers wlr-screencopy", name);
        return 1;
    }
    *ret_reason =
        g_strdup_printf("the compositor on WAYLAND_DISPLAY=%s%s offers no wlr-screencopy", name,
                        g.gtk_shell   ? " (GNOME's mutter, by its globals)"
                        : g.kde_shell ? " (KDE's KWin, by its globals)"
                                      : "");
    return 0;
}

const struct capture_ops capture_wlr_ops = {
    .name = "wlr",
    .create = wlr_create,
    .destroy = wlr_destroy,
    .start = wlr_start,
    .stop = wlr_stop,
    .collect_damage = wlr_collect_damage,
    .grab = wlr_grab,
    .probe = wlr_probe,
};
