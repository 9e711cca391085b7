#include "agent/web/web-pump.h"

#include <glib.h>
#include <string.h>

#include "agent/web/web-proto.h"
#include "agent/web/web-server.h"
#include "display/jpeg-encoder.h"
#include "display/png-encoder.h"

#define PUMP_MAX_RECTS 32
#define PUMP_MAX_HINTS 16
#define PUMP_MAX_COPIES 32
#define PUMP_MAX_PIECES 64
#define MAX_IN_FLIGHT 2
/* Motion: a cell that changed in MOTION_FRAMES grabs in a row, each within
 * MOTION_GAP_US of the one before, is sent as JPEG. */
#define CELL 64
#define MOTION_FRAMES 3
#define MOTION_GAP_US 250000
/* A JPEG cell still for this long gets its lossless refresh. */
#define REFRESH_US 300000
#define JPEG_QUALITY 90
/* Smaller pieces stay lossless even in motion (JPEG's blocks cost more). */
#define JPEG_MIN_AREA (CELL * CELL)
/* A viewer that acknowledges nothing for this long while frames wait is
 * dropped (a stuck or hostile reader must not pin the desktop). */
#define ACK_TIMEOUT_US (60 * G_USEC_PER_SEC)

struct cell {
    gint64 last_change_us;
    uint8_t streak;
    bool lossy;   /* shows JPEG pixels: refresh when still */
    bool refresh; /* in this grab as a refresh: lossless */
};

struct web_pump {
    struct capture *capture;
    struct web_server *web;
    struct web_pump_config config;
    struct damage *damage;
    struct copy_detect *copies;
    struct jpeg_encoder *jpeg;
    struct png_encoder *png;
    int width, height;
    int cols, rows;
    struct cell *cells;
    int n_lossy;
    bool active;
    uint32_t frame_sent, frame_acked;
    gint64 interval_us, last_grab_us;
    gint64 last_ack_us; /* or when the viewer came */
    struct web_page_msg last_stats;
    guint source;
    gint64 source_due; /* monotonic µs */
    struct web_pump_stats stats;
};

static void pump_run(struct web_pump *p);

static gboolean on_run(gpointer data)
{
    struct web_pump *p = data;
    p->source = 0;
    pump_run(p);
    return G_SOURCE_REMOVE;
}

/* Runs the pump after @delay_us, or sooner if it is already due sooner. */
static void schedule(struct web_pump *p, gint64 delay_us)
{
    gint64 due = g_get_monotonic_time() + MAX(delay_us, 0);
    if (p->source && p->source_due <= due)
        return;
    if (p->source)
        g_source_remove(p->source);
    p->source_due = due;
    if (delay_us <= 0)
        p->source = g_idle_add(on_run, p);
    else
        p->source = g_timeout_add((guint)((delay_us + 999) / 1000), on_run, p);
}

static void reset_cells(struct web_pump *p, int w, int h)
{
    p->width = w;
    p->height = h;
    p->cols = (w + CELL - 1) / CELL;
    p->rows = (h + CELL - 1) / CELL;
    g_free(p->cells);
    p->cells = g_new0(struct cell, (size_t)p->cols * p->rows);
    p->n_lossy = 0;
}

/* The cells @r overlaps: [c0, c1) x [r0, r1). */
static void cell_span(const struct web_pump *p, const struct damage_rect *r, int *c0, int *c1,
                      int *r0, int *r1)
{
    *c0 = r->x / CELL;
    *r0 = r->y / CELL;
    *c1 = MIN((r->x + r->w + CELL - 1) / CELL, p->cols);
    *r1 = MIN((r->y + r->h + CELL - 1) / CELL, p->rows);
}

static struct damage_rect cell_rect(const struct web_pump *p, int c, int r)
{
    struct damage_rect d = {c * CELL, r * CELL, CELL, CELL};
    d.w = MIN(d.w, p->width - d.x);
    d.h = MIN(d.h, p->height - d.y);
    return d;
}

static bool covers(const struct damage_rect *a, const struct damage_rect *b)
{
    return a->x <= b->x && a->y <= b->y && a->x + a->w >= b->x + b->w &&
           a->y + a->h >= b->y + b->h;
}

static void set_lossy(struct web_pump *p, struct cell *c, bool lossy)
{
    if (c->lossy != lossy)
        p->n_lossy += lossy ? 1 : -1;
    c->lossy = lossy;
}

static void pump_send(struct web_pump *p, GBytes *msg)
{
    p->stats.bytes += g_bytes_get_size(msg);
    web_server_send(p->web, msg);
    g_bytes_unref(msg);
}

/* Lossless refreshes that are due go into the damage; returns the time
 * until the next one (0: none pending). */
static gint64 add_refreshes(struct web_pump *p, gint64 now)
{
    gint64 next = 0;
    if (p->n_lossy == 0)
        return 0;
    for (int r = 0; r < p->rows; r++)
        for (int c = 0; c < p->cols; c++) {
            struct cell *cell = &p->cells[r * p->cols + c];
            if (!cell->lossy)
                continue;
            gint64 left = cell->last_change_us + REFRESH_US - now;
            if (cell->last_change_us == now)
                continue; /* changed in this grab: still moving */
            if (left <= 0) {
                struct damage_rect d = cell_rect(p, c, r);
                damage_add(p->damage, d.x, d.y, d.w, d.h);
                cell->refresh = true;
            } else if (next == 0 || left < next) {
                next = left;
            }
        }
    return next;
}

static void note_changes(struct web_pump *p, const struct damage_rect *rects, int n, gint64 now)
{
    for (int i = 0; i < n; i++) {
        int c0, c1, r0, r1;
        cell_span(p, &rects[i], &c0, &c1, &r0, &r1);
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++) {
                struct cell *cell = &p->cells[r * p->cols + c];
                if (cell->refresh || cell->last_change_us == now)
                    continue;
                if (now - cell->last_change_us < MOTION_GAP_US)
                    cell->streak = cell->streak < 255 ? cell->streak + 1 : 255;
                else
                    cell->streak = 1;
                cell->last_change_us = now;
            }
    }
}

static bool in_motion(const struct web_pump *p, const struct damage_rect *piece, gint64 now)
{
    if (piece->w * piece->h < JPEG_MIN_AREA)
        return false;
    int c0, c1, r0, r1, moving = 0, total = 0;
    cell_span(p, piece, &c0, &c1, &r0, &r1);
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            const struct cell *cell = &p->cells[r * p->cols + c];
            total++;
            moving += !cell->refresh && cell->last_change_us == now &&
                      cell->streak >= MOTION_FRAMES;
        }
    return moving * 2 > total;
}

static void send_piece(struct web_pump *p, const struct damage_rect *piece, const uint8_t *data,
                       int stride, gint64 now)
{
    bool jpeg = in_motion(p, piece, now);
    g_debug("web frame %u at %" G_GINT64_FORMAT " ms: %s tile %dx%d+%d+%d", p->frame_sent,
            now / 1000 % 100000, jpeg ? "JPEG" : "PNG", piece->w, piece->h, piece->x, piece->y);
    const uint8_t *out = NULL;
    size_t size = 0;
    uint8_t codec;
    gint64 t0 = g_get_monotonic_time();
    if (jpeg) {
        char *error = NULL;
        if (jpeg_encoder_encode(p->jpeg, data, piece->w, piece->h, stride, JPEG_QUALITY,
                                JPEG_SUBSAMPLING_444, &out, &size, &error) < 0) {
            g_warning("web: JPEG tile failed: %s; sending it lossless", error);
            g_free(error);
            jpeg = false;
        }
    }
    if (!jpeg &&
        png_encoder_encode(p->png, PNG_ENCODER_PNG, data, piece->w, piece->h, stride, &out,
                           &size) < 0) {
        g_warning("web: PNG tile %dx%d failed", piece->w, piece->h);
        return;
    }
    codec = jpeg ? WEB_TILE_JPEG : WEB_TILE_PNG;
    p->stats.encode_us += g_get_monotonic_time() - t0;
    pump_send(p, web_proto_tile(codec, piece->x, piece->y, piece->w, piece->h, p->frame_sent, out, size));

    int c0, c1, r0, r1;
    cell_span(p, piece, &c0, &c1, &r0, &r1);
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            struct cell *cell = &p->cells[r * p->cols + c];
            struct damage_rect cr = cell_rect(p, c, r);
            if (jpeg) {
                set_lossy(p, cell, true);
            } else if (covers(piece, &cr)) {
                if (cell->refresh && cell->lossy)
                    p->stats.refresh_tiles++;
                set_lossy(p, cell, false);
            }
        }
    if (jpeg)
        p->stats.jpeg_tiles++;
    else
        p->stats.lossless_tiles++;
}

/* A copy moves JPEG pixels too: its destination needs the refresh. */
static void note_copy(struct web_pump *p, const struct copy_op *op, gint64 now)
{
    struct damage_rect src = {op->src_x, op->src_y, op->dst.w, op->dst.h};
    int c0, c1, r0, r1;
    bool lossy = false;
    cell_span(p, &src, &c0, &c1, &r0, &r1);
    for (int r = r0; r < r1 && !lossy; r++)
        for (int c = c0; c < c1; c++)
            lossy |= p->cells[r * p->cols + c].lossy;
    if (!lossy)
        return;
    cell_span(p, &op->dst, &c0, &c1, &r0, &r1);
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            struct cell *cell = &p->cells[r * p->cols + c];
            set_lossy(p, cell, true);
            cell->last_change_us = now;
        }
}

static void pump_run(struct web_pump *p)
{
    if (!p->active)
        return;
    gint64 now = g_get_monotonic_time();
    if (p->frame_sent - p->frame_acked >= MAX_IN_FLIGHT) {
        /* The ACK kicks us; this wake-up only checks for a stuck reader. */
        if (now - p->last_ack_us >= ACK_TIMEOUT_US) {
            g_warning("web viewer acknowledged no frame for %d s: closing it",
                      (int)(ACK_TIMEOUT_US / G_USEC_PER_SEC));
            web_server_end_viewer(p->web, WEB_BYE_PROTOCOL,
                                  "The browser stopped acknowledging frames.");
            return;
        }
        schedule(p, p->last_ack_us + ACK_TIMEOUT_US - now);
        return;
    }
    gint64 wait = p->last_grab_us + p->interval_us - now;
    if (wait > 0) {
        schedule(p, wait);
        return;
    }
    capture_collect_damage(p->capture, p->damage);
    struct damage_rect rects[PUMP_MAX_RECTS];
    int n = 0;
    if (!damage_is_empty(p->damage)) {
        /* What changed counts for motion; then the due refreshes join it. */
        n = damage_take(p->damage, rects, PUMP_MAX_RECTS);
        note_changes(p, rects, n, now);
        for (int i = 0; i < n; i++)
            damage_add(p->damage, rects[i].x, rects[i].y, rects[i].w, rects[i].h);
    }
    gint64 next_refresh = add_refreshes(p, now);
    if (damage_is_empty(p->damage)) {
        if (next_refresh)
            schedule(p, next_refresh);
        return;
    }
    n = damage_take(p->damage, rects, PUMP_MAX_RECTS);
    struct frame *frame = capture_grab(p->capture, rects, n);
    if (!frame) {
        for (int i = 0; i < n; i++)
            damage_add(p->damage, rects[i].x, rects[i].y, rects[i].w, rects[i].h);
        for (int i = 0; i < p->cols * p->rows; i++)
            p->cells[i].refresh = false;
        return;
    }
    struct copy_hint hints[PUMP_MAX_HINTS];
    int n_hints = capture_take_moves(p->capture, hints, PUMP_MAX_HINTS);
    struct copy_op copies[PUMP_MAX_COPIES];
    int n_copies = 0;
    if (p->copies)
        n_copies = copy_detect_find(p->copies, rects, n, frame->data, hints, n_hints, copies,
                                    PUMP_MAX_COPIES);
    p->frame_sent++;
    struct damage_rect cut[PUMP_MAX_COPIES];
    for (int i = 0; i < n_copies; i++) {
        const struct copy_op *op = &copies[i];
        pump_send(p, web_proto_copy(op->src_x, op->src_y, op->dst.x, op->dst.y, op->dst.w, op->dst.h,
                               p->frame_sent));
        note_copy(p, op, now);
        cut[i] = op->dst;
        p->stats.copies++;
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        const uint8_t *base = frame->data + offset;
        offset += (size_t)r->w * r->h * 4;
        struct damage_rect pieces[PUMP_MAX_PIECES];
        int k = n_copies ? damage_rect_subtract(r, cut, n_copies, pieces, PUMP_MAX_PIECES) : -1;
        if (k < 0) {
            pieces[0] = *r;
            k = 1;
        }
        for (int j = 0; j < k; j++) {
            const uint8_t *d =
                base + ((size_t)(pieces[j].y - r->y) * r->w + (pieces[j].x - r->x)) * 4;
            send_piece(p, &pieces[j], d, r->w * 4, now);
        }
    }
    pump_send(p, web_proto_frame_end(p->frame_sent, (uint64_t)now));
    p->stats.frames++;
    if (p->copies)
        copy_detect_commit(p->copies, rects, n, frame->data);
    frame_unref(frame);
    for (int i = 0; i < p->cols * p->rows; i++)
        p->cells[i].refresh = false;
    p->last_grab_us = now;
    if (p->n_lossy)
        schedule(p, REFRESH_US);
}

static void on_ack(const struct web_page_msg *m, void *data)
{
    struct web_pump *p = data;
    uint32_t f = m->u.ack.frame;
    /* Acks for frames of an earlier connection or not sent yet are ignored. */
    if (!p->active || f > p->frame_sent || f <= p->frame_acked)
        return;
    p->frame_acked = f;
    p->last_ack_us = g_get_monotonic_time();
    p->stats.acked++;
    schedule(p, 0);
}

static void on_stats(const struct web_page_msg *m, void *data)
{
    struct web_pump *p = data;
    p->last_stats = *m;
    g_debug("web viewer: %.1f fps drawn, decode %u us, round trip %u us",
            m->u.stats.fps100 / 100.0, m->u.stats.decode_us, m->u.stats.rtt_us);
}

struct web_pump *web_pump_create(struct capture *capture, struct web_server *web,
                                 const struct web_pump_config *config, char **ret_error)
{
    struct web_pump *p = g_new0(struct web_pump, 1);
    p->capture = capture;
    p->web = web;
    p->config = *config;
    p->jpeg = jpeg_encoder_create(ret_error);
    p->png = png_encoder_create(1);
    if (!p->jpeg || !p->png) {
        if (!p->png && !*ret_error)
            *ret_error = g_strdup("cannot start the zlib encoder");
        web_pump_destroy(p);
        return NULL;
    }
    int w, h;
    capture_get_size(capture, &w, &h);
    p->damage = damage_create(w, h);
    if (config->copy_detection)
        p->copies = copy_detect_create(w, h);
    reset_cells(p, w, h);
    p->interval_us = config->max_fps > 0 ? G_USEC_PER_SEC / config->max_fps : 0;
    web_server_set_handler(web, WEB_PAGE_ACK, on_ack, p);
    web_server_set_handler(web, WEB_PAGE_STATS, on_stats, p);
    return p;
}

void web_pump_destroy(struct web_pump *p)
{
    if (!p)
        return;
    if (p->source)
        g_source_remove(p->source);
    if (p->web)
        web_server_set_handler(p->web, WEB_PAGE_ACK, NULL, NULL);
    if (p->web)
        web_server_set_handler(p->web, WEB_PAGE_STATS, NULL, NULL);
    damage_destroy(p->damage);
    copy_detect_destroy(p->copies);
    jpeg_encoder_destroy(p->jpeg);
    png_encoder_destroy(p->png);
    g_free(p->cells);
    g_free(p);
}

void web_pump_set_active(struct web_pump *p, bool active)
{
    if (active == p->active)
        return;
    p->active = active;
    p->frame_sent = p->frame_acked = 0;
    p->last_ack_us = g_get_monotonic_time();
    if (!active) {
        capture_stop(p->capture);
        damage_clear(p->damage);
        return;
    }
    int w, h;
    capture_get_size(p->capture, &w, &h);
    damage_resize(p->damage, w, h); /* everything dirty */
    if (p->copies)
        copy_detect_reset(p->copies, w, h);
    reset_cells(p, w, h);
    pump_send(p, web_proto_hello(p->config.hello_flags, w, h));
    web_pump_set_cursor(p, capture_get_cursor(p->capture));
    capture_start(p->capture);
    schedule(p, 0);
}

bool web_pump_is_active(const struct web_pump *p)
{
    return p && p->active;
}

void web_pump_kick(struct web_pump *p)
{
    if (p->active)
        schedule(p, 0);
}

void web_pump_resized(struct web_pump *p, int width, int height)
{
    damage_resize(p->damage, width, height);
    if (p->copies)
        copy_detect_reset(p->copies, width, height);
    reset_cells(p, width, height);
    if (!p->active)
        return;
    pump_send(p, web_proto_desktop_size(width, height));
    schedule(p, 0);
}

void web_pump_set_cursor(struct web_pump *p, const struct cursor_image *cursor)
{
    if (!p->active)
        return;
    if (!cursor || !cursor->argb || cursor->width == 0 || cursor->height == 0) {
        pump_send(p, web_proto_cursor(0, 0, 0, 0, NULL));
        return;
    }
    size_t n = (size_t)cursor->width * cursor->height;
    g_autofree uint8_t *rgba = g_malloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = cursor->argb[i];
        unsigned a = v >> 24, r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
        if (a && a < 255) { /* premultiplied to straight */
            r = MIN(255u, r * 255 / a);
            g = MIN(255u, g * 255 / a);
            b = MIN(255u, b * 255 / a);
        }
        rgba[4 * i] = (uint8_t)r;
        rgba[4 * i + 1] = (uint8_t)g;
        rgba[4 * i + 2] = (uint8_t)b;
        rgba[4 * i + 3] = (uint8_t)a;
    }
    pump_send(p, web_proto_cursor(cursor->width, cursor->height, cursor->hot_x, cursor->hot_y, rgba));
}

void web_pump_get_stats(const struct web_pump *p, struct web_pump_stats *ret_stats)
{
    *ret_stats = p->stats;
}
