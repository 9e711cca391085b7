#include "agent/spice-display.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "agent/qxl-identity.h"

enum cmd_kind { CMD_DRAW, CMD_CURSOR };

/* One command handed to the worker; freed in release_resource. */
struct display_cmd {
    enum cmd_kind kind;
    QXLCommandExt ext;
    union {
        struct {
            QXLDrawable drawable;
            QXLImage image;
            struct frame *frame;
        } draw;
        struct {
            QXLCursorCmd cmd;
            QXLCursor *shape; /* header + pixels */
        } cursor;
    };
};

struct spice_display {
    QXLInstance qxl;
    SpiceServer *server;
    struct spice_display_events events;
    int width, height;
    uint8_t *surface_mem;
    bool has_primary;

    GMutex lock;              /* guards the queues and the flags below */
    GQueue draws;             /* struct display_cmd *, not yet pulled */
    struct display_cmd *cursor; /* latest cursor command, not yet pulled */
    bool drained_pending;     /* an idle callback is on its way */
    bool client_present;      /* as the worker last told us */
    guint client_source;
    guint drained_source;

    struct spice_display_head heads[SPICE_DISPLAY_MAX_HEADS];
    int n_heads; /* 0: never set, spice-server reports the surface itself */

    uint64_t next_image_id;
    struct spice_display_stats stats;
    uint32_t cursor_unique;
};

static void cmd_free(struct display_cmd *cmd)
{
    if (!cmd)
        return;
    if (cmd->kind == CMD_DRAW)
        frame_unref(cmd->draw.frame);
    else
        g_free(cmd->cursor.shape);
    g_free(cmd);
}

/* --- main-loop side of worker notifications --- */

static gboolean on_drained(gpointer data)
{
    struct spice_display *d = data;
    g_mutex_lock(&d->lock);
    d->drained_pending = false;
    d->drained_source = 0;
    g_mutex_unlock(&d->lock);
    if (d->events.drained)
        d->events.drained(d->events.user_data);
    return G_SOURCE_REMOVE;
}

static gboolean on_client_changed(gpointer data)
{
    struct spice_display *d = data;
    g_mutex_lock(&d->lock);
    bool present = d->client_present;
    d->client_source = 0;
    g_mutex_unlock(&d->lock);
    g_debug("display client %s", present ? "present" : "gone");
    if (d->events.client_changed)
        d->events.client_changed(present, d->events.user_data);
    return G_SOURCE_REMOVE;
}

/* --- QXLInterface, called on the worker thread unless noted --- */

static void iface_attached_worker(QXLInstance *qin)
{
    qxl_identity_add_memslot(qin);
}

static void iface_set_compression_level(QXLInstance *qin, int level)
{
}

static void iface_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    qxl_identity_init_info(info);
}

static int iface_get_command(QXLInstance *qin, QXLCommandExt *ext)
{
    struct spice_display *d = SPICE_CONTAINEROF(qin, struct spice_display, qxl);
    g_mutex_lock(&d->lock);
    struct display_cmd *cmd = g_queue_pop_head(&d->draws);
    if (cmd && g_queue_is_empty(&d->draws) && !d->drained_pending) {
        d->drained_pending = true;
        d->drained_source = g_idle_add_full(G_PRIORITY_HIGH, on_drained, d, NULL);
    }
    g_mutex_unlock(&d->lock);
    if (!cmd)
        return 0;
    *ext = cmd->ext;
    return 1;
}

static int iface_req_cmd_notification(QXLInstance *qin)
{
    struct spice_display *d = SPICE_CONTAINEROF(qin, struct spice_display, qxl);
    g_mutex_lock(&d->lock);
    bool empty = g_queue_is_empty(&d->draws);
    g_mutex_unlock(&d->lock);
    return empty ? 1 : 0;
}

static void iface_release_resource(QXLInstance *qin, QXLReleaseInfoExt info)
{
    cmd_free((struct display_cmd *)(uintptr_t)info.info->id);
}

static int iface_get_cursor_command(QXLInstance *qin, QXLCommandExt *ext)
{
    struct spice_display *d = SPICE_CONTAINEROF(qin, struct spice_display, qxl);
    g_mutex_lock(&d->lock);
    struct display_cmd *cmd = d->cursor;
    d->cursor = NULL;
    g_mutex_unlock(&d->lock);
    if (!cmd)
        return 0;
    *ext = cmd->ext;
    return 1;
}

static int iface_req_cursor_notification(QXLInstance *qin)
{
    struct spice_display *d = SPICE_CONTAINEROF(qin, struct spice_display, qxl);
    g_mutex_lock(&d->lock);
    bool empty = d->cursor == NULL;
    g_mutex_unlock(&d->lock);
    return empty ? 1 : 0;
}

static void iface_notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int iface_flush_resources(QXLInstance *qin)
{
    return 0;
}

/* The only async request we make is monitors_config: the cookie is the
 * QXLMonitorsConfig the worker has now copied. */
static void iface_async_complete(QXLInstance *qin, uint64_t cookie)
{
    g_free((void *)(uintptr_t)cookie);
}

static void iface_update_area_complete(QXLInstance *qin, uint32_t surface_id,
                                       struct QXLRect *updated_rects, uint32_t num_updated_rects)
{
}

static void iface_set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                          uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
    struct spice_display *d = SPICE_CONTAINEROF(qin, struct spice_display, qxl);
    g_mutex_lock(&d->lock);
    d->client_present = client_present != 0;
    if (!d->client_source)
        d->client_source = g_idle_add_full(G_PRIORITY_HIGH, on_client_changed, d, NULL);
    g_mutex_unlock(&d->lock);
}

static int iface_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *config)
{
    /* Monitor configs go to the agent channel. */
    return 0;
}

static const QXLInterface qxl_interface = {
    .base =
        {
            .type = SPICE_INTERFACE_QXL,
            .description = "thindesk display",
            .major_version = SPICE_INTERFACE_QXL_MAJOR,
            .minor_version = SPICE_INTERFACE_QXL_MINOR,
        },
    .attached_worker = iface_attached_worker,
    .set_compression_level = iface_set_compression_level,
    .get_init_info = iface_get_init_info,
    .get_command = iface_get_command,
    .req_cmd_notification = iface_req_cmd_notification,
    .release_resource = iface_release_resource,
    .get_cursor_command = iface_get_cursor_command,
    .req_cursor_notification = iface_req_cursor_notification,
    .notify_update = iface_notify_update,
    .flush_resources = iface_flush_resources,
    .async_complete = iface_async_complete,
    .update_area_complete = iface_update_area_complete,
    .set_client_capabilities = iface_set_client_capabilities,
    .client_monitors_config = iface_client_monitors_config,
};

/* --- primary surface, main thread --- */

static void create_primary(struct spice_display *d)
{
    d->surface_mem = g_malloc0((size_t)d->width * d->height * 4);
    QXLDevSurfaceCreate surface = {
        .width = d->width,
        .height = d->height,
        .stride = d->width * 4,
        .format = SPICE_SURFACE_FMT_32_xRGB,
        .position = 0,
        .mouse_mode = 1, /* client (absolute) mouse mode */
        .flags = 0,
        .type = 0,
        .mem = (uintptr_t)d->surface_mem,
        .group_id = 0,
    };
    spice_qxl_create_primary_surface(&d->qxl, 0, &surface);
    d->has_primary = true;
}

static void drop_queued(struct spice_display *d)
{
    g_mutex_lock(&d->lock);
    GQueue old = d->draws;
    g_queue_init(&d->draws);
    g_mutex_unlock(&d->lock);
    g_queue_clear_full(&old, (GDestroyNotify)cmd_free);
}

static void destroy_primary(struct spice_display *d)
{
    if (!d->has_primary)
        return;
    drop_queued(d);
    spice_qxl_destroy_primary_surface(&d->qxl, 0);
    g_clear_pointer(&d->surface_mem, g_free);
    d->has_primary = false;
}

struct spice_display *spice_display_create(SpiceServer *server, int width, int height,
                                           const struct spice_display_events *events)
{
    struct spice_display *d = g_new0(struct spice_display, 1);
    d->server = server;
    d->events = *events;
    d->width = width;
    d->height = height;
    g_mutex_init(&d->lock);
    g_queue_init(&d->draws);
    d->qxl.base.sif = &qxl_interface.base;
    d->qxl.id = 0;
    if (spice_server_add_interface(server, &d->qxl.base) != 0) {
        g_warning("spice-server refused the display interface");
        g_mutex_clear(&d->lock);
        g_free(d);
        return NULL;
    }
    create_primary(d);
    return d;
}

void spice_display_destroy(struct spice_display *d)
{
    if (!d)
        return;
    destroy_primary(d);
    spice_server_remove_interface(&d->qxl.base);
    g_mutex_lock(&d->lock);
    struct display_cmd *cursor = g_steal_pointer(&d->cursor);
    if (d->drained_source)
        g_source_remove(d->drained_source);
    if (d->client_source)
        g_source_remove(d->client_source);
    g_mutex_unlock(&d->lock);
    cmd_free(cursor);
    g_mutex_clear(&d->lock);
    g_free(d);
}

/* Heads outside the surface: with @fallback one head covering the surface is
 * sent, otherwise nothing (a resize to fit them is on its way). */
static void send_heads(struct spice_display *d, bool fallback)
{
    if (!d->has_primary || d->n_heads == 0)
        return;
    unsigned n = (unsigned)d->n_heads;
    const struct spice_display_head *heads = d->heads;
    struct spice_display_head whole = {0, 0, d->width, d->height};
    for (int i = 0; i < d->n_heads; i++) {
        const struct spice_display_head *h = &d->heads[i];
        if (h->x < 0 || h->y < 0 || h->width <= 0 || h->height <= 0 ||
            h->x + h->width > d->width || h->y + h->height > d->height) {
            if (!fallback)
                return;
            heads = &whole;
            n = 1;
            break;
        }
    }
    QXLMonitorsConfig *mc = g_malloc0(sizeof(QXLMonitorsConfig) + n * sizeof(QXLHead));
    mc->count = (uint16_t)n;
    mc->max_allowed = SPICE_DISPLAY_MAX_HEADS;
    for (unsigned i = 0; i < n; i++) {
        mc->heads[i] = (QXLHead){
            .id = (uint32_t)i,
            .surface_id = 0,
            .width = (uint32_t)heads[i].width,
            .height = (uint32_t)heads[i].height,
            .x = (uint32_t)heads[i].x,
            .y = (uint32_t)heads[i].y,
        };
    }
    g_debug("display: %u monitor(s) on %dx%d", n, d->width, d->height);
    /* freed in iface_async_complete once the worker copied it */
    spice_qxl_monitors_config_async(&d->qxl, (QXLPHYSICAL)(uintptr_t)mc, 0,
                                    (uint64_t)(uintptr_t)mc);
}

void spice_display_set_heads(struct spice_display *d, const struct spice_display_head *heads,
                             int n)
{
    n = CLAMP(n, 0, SPICE_DISPLAY_MAX_HEADS);
    if (n == d->n_heads && memcmp(heads, d->heads, sizeof(*heads) * n) == 0)
        return;
    memcpy(d->heads, heads, sizeof(*heads) * n);
    d->n_heads = n;
    send_heads(d, false);
}

void spice_display_resize(struct spice_display *d, int width, int height)
{
    if (width == d->width && height == d->height && d->has_primary)
        return;
    destroy_primary(d);
    d->width = width;
    d->height = height;
    create_primary(d);
    send_heads(d, true);
}

bool spice_display_busy(struct spice_display *d)
{
    g_mutex_lock(&d->lock);
    bool busy = !g_queue_is_empty(&d->draws);
    g_mutex_unlock(&d->lock);
    return busy;
}

static bool rect_fits(const struct spice_display *d, const struct damage_rect *r)
{
    return r->w > 0 && r->h > 0 && r->x >= 0 && r->y >= 0 && r->x + r->w <= d->width &&
           r->y + r->h <= d->height;
}

static struct display_cmd *cmd_new_drawable(const struct damage_rect *r, uint8_t type)
{
    struct display_cmd *cmd = g_new0(struct display_cmd, 1);
    cmd->kind = CMD_DRAW;
    QXLDrawable *dr = &cmd->draw.drawable;
    dr->release_info.id = (uintptr_t)cmd;
    dr->surface_id = 0;
    dr->effect = QXL_EFFECT_OPAQUE;
    dr->type = type;
    dr->bbox = (QXLRect){.left = r->x, .top = r->y, .right = r->x + r->w, .bottom = r->y + r->h};
    dr->clip.type = SPICE_CLIP_TYPE_NONE;
    dr->surfaces_dest[0] = dr->surfaces_dest[1] = dr->surfaces_dest[2] = -1;
    cmd->ext.cmd.data = (uintptr_t)dr;
    cmd->ext.cmd.type = QXL_CMD_DRAW;
    return cmd;
}

static struct display_cmd *copy_new(const struct copy_op *op)
{
    struct display_cmd *cmd = cmd_new_drawable(&op->dst, QXL_COPY_BITS);
    cmd->draw.drawable.u.copy_bits.src_pos.x = op->src_x;
    cmd->draw.drawable.u.copy_bits.src_pos.y = op->src_y;
    return cmd;
}

static struct display_cmd *draw_new(struct spice_display *d, struct frame *frame,
                                    const struct display_draw *draw)
{
    const struct damage_rect *r = &draw->rect;
    struct display_cmd *cmd = cmd_new_drawable(r, QXL_DRAW_COPY);
    cmd->draw.frame = frame_ref(frame);

    QXLImage *img = &cmd->draw.image;
    img->descriptor.id = ++d->next_image_id;
    img->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img->descriptor.width = r->w;
    img->descriptor.height = r->h;
    img->bitmap.format = SPICE_BITMAP_FMT_32BIT;
    img->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    img->bitmap.x = r->w;
    img->bitmap.y = r->h;
    img->bitmap.stride = draw->stride;
    img->bitmap.data = (uintptr_t)draw->data;

    QXLDrawable *dr = &cmd->draw.drawable;
    dr->u.copy.src_bitmap = (uintptr_t)img;
    dr->u.copy.src_area = (QXLRect){.left = 0, .top = 0, .right = r->w, .bottom = r->h};
    dr->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    dr->u.copy.scale_mode = 0;
    return cmd;
}

void spice_display_push(struct spice_display *d, struct frame *frame,
                        const struct copy_op *copies, int n_copies,
                        const struct display_draw *draws, int n_draws)
{
    if (!d->has_primary || n_copies + n_draws <= 0)
        return;
    GQueue batch = G_QUEUE_INIT;
    for (int i = 0; i < n_copies; i++) {
        struct damage_rect src = {copies[i].src_x, copies[i].src_y, copies[i].dst.w,
                                  copies[i].dst.h};
        if (!rect_fits(d, &copies[i].dst) || !rect_fits(d, &src))
            continue;
        g_queue_push_tail(&batch, copy_new(&copies[i]));
        d->stats.copies++;
    }
    const uint8_t *end = frame->data + frame->size;
    for (int i = 0; i < n_draws; i++) {
        const struct display_draw *dr = &draws[i];
        /* A resize may have raced with the grab: skip what no longer fits. */
        if (!rect_fits(d, &dr->rect) || dr->stride < dr->rect.w * 4 || dr->data < frame->data ||
            dr->data + (size_t)(dr->rect.h - 1) * dr->stride + (size_t)dr->rect.w * 4 > end)
            continue;
        g_queue_push_tail(&batch, draw_new(d, frame, dr));
        d->stats.drawables++;
        d->stats.bytes += (uint64_t)dr->rect.w * dr->rect.h * 4;
    }
    d->stats.frames++;
    g_mutex_lock(&d->lock);
    for (GList *l = batch.head; l; l = l->next)
        g_queue_push_tail(&d->draws, l->data);
    g_mutex_unlock(&d->lock);
    g_queue_clear(&batch);
    spice_qxl_wakeup(&d->qxl);
}

void spice_display_set_cursor(struct spice_display *d, const struct cursor_image *cursor)
{
    size_t data_size = (size_t)cursor->width * cursor->height * 4;
    struct display_cmd *cmd = g_new0(struct display_cmd, 1);
    cmd->kind = CMD_CURSOR;
    cmd->cursor.shape = g_malloc0(sizeof(QXLCursor) + data_size);
    QXLCursor *shape = cmd->cursor.shape;
    shape->header.unique = 0; /* not cached */
    shape->header.type = SPICE_CURSOR_TYPE_ALPHA;
    shape->header.width = cursor->width;
    shape->header.height = cursor->height;
    shape->header.hot_spot_x = cursor->hot_x;
    shape->header.hot_spot_y = cursor->hot_y;
    shape->data_size = data_size;
    shape->chunk.data_size = data_size;
    shape->chunk.prev_chunk = shape->chunk.next_chunk = 0;
    memcpy(shape->chunk.data, cursor->argb, data_size);

    QXLCursorCmd *c = &cmd->cursor.cmd;
    c->release_info.id = (uintptr_t)cmd;
    c->type = QXL_CURSOR_SET;
    c->u.set.position.x = 0;
    c->u.set.position.y = 0;
    c->u.set.visible = 1;
    c->u.set.shape = (uintptr_t)shape;
    cmd->ext.cmd.data = (uintptr_t)c;
    cmd->ext.cmd.type = QXL_CMD_CURSOR;

    g_mutex_lock(&d->lock);
    struct display_cmd *old = d->cursor;
    d->cursor = cmd;
    g_mutex_unlock(&d->lock);
    cmd_free(old); /* never pulled: ours to free */
    spice_qxl_wakeup(&d->qxl);
}

void spice_display_get_stats(const struct spice_display *d, struct spice_display_stats *ret)
{
    *ret = d->stats;
}
