/* capture-mutter against a scripted PipeWire producer (standing in for
 * mutter's screen cast) on a private PipeWire daemon: full first frame, tile
 * diff without damage metadata, SPA_META_VideoDamage trusted when present,
 * cursor-only buffers, corrupted buffers skipped, a size change is a resize,
 * the producer going away is "lost".
 *
 * Run through run-with-pipewire.sh, which starts dbus-daemon, pipewire and
 * wireplumber (which links the streams) in a private runtime directory. */
#include <glib.h>
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <string.h>

#include "display/capture.h"

#define CURSOR_META_SIZE(w, h)                                                                     \
    (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (size_t)(w) * (h)*4)

static void run_for(int ms);

/* --- the producer, on its own PipeWire thread --- */

struct producer {
    struct pw_thread_loop *tl;
    struct pw_context *ctx;
    struct pw_core *core;
    struct pw_stream *stream;
    struct spa_hook listener;
    int width, height;
    uint8_t *image; /* what the screen shows, BGRx, width * 4 per row */
    /* The next buffer (under the thread loop's lock). */
    bool pending, cursor_only, corrupted;
    struct spa_region damage[4];
    int n_damage;
    bool cursor;
    int streaming;
};

static void producer_format(struct producer *p, const struct spa_pod **ret,
                            struct spa_pod_builder *b)
{
    *ret = spa_pod_builder_add_object(
        b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, SPA_FORMAT_mediaType,
        SPA_POD_Id(SPA_MEDIA_TYPE_video), SPA_FORMAT_mediaSubtype,
        SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), SPA_FORMAT_VIDEO_format,
        SPA_POD_Id(SPA_VIDEO_FORMAT_BGRx), SPA_FORMAT_VIDEO_size,
        SPA_POD_Rectangle(&SPA_RECTANGLE(p->width, p->height)), SPA_FORMAT_VIDEO_framerate,
        SPA_POD_Fraction(&SPA_FRACTION(0, 1)), SPA_FORMAT_VIDEO_maxFramerate,
        SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(60, 1), &SPA_FRACTION(1, 1),
                                      &SPA_FRACTION(60, 1)));
}

static void on_producer_param(void *data, uint32_t id, const struct spa_pod *param)
{
    struct producer *p = data;
    if (id != SPA_PARAM_Format || !param)
        return;
    uint8_t buffer[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[4];
    params[0] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers,
        SPA_POD_CHOICE_RANGE_Int(4, 2, 8), SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
        SPA_PARAM_BUFFERS_size, SPA_POD_Int(p->width * p->height * 4), SPA_PARAM_BUFFERS_stride,
        SPA_POD_Int(p->width * 4), SPA_PARAM_BUFFERS_dataType,
        SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
    params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
                                           SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
                                           SPA_PARAM_META_size,
                                           SPA_POD_Int(sizeof(struct spa_meta_header)));
    params[2] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_VideoDamage), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(sizeof(struct spa_meta_region) * 16,
                                 sizeof(struct spa_meta_region),
                                 sizeof(struct spa_meta_region) * 16));
    params[3] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_Cursor), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(CURSOR_META_SIZE(64, 64), CURSOR_META_SIZE(1, 1),
                                 CURSOR_META_SIZE(384, 384)));
    pw_stream_update_params(p->stream, params, 4);
}

static void on_producer_state(void *data, enum pw_stream_state old, enum pw_stream_state state,
                              const char *error)
{
    struct producer *p = data;
    p->streaming = state == PW_STREAM_STATE_STREAMING;
    pw_thread_loop_signal(p->tl, false);
}

static void write_cursor(struct spa_buffer *sb)
{
    struct spa_meta *m = spa_buffer_find_meta(sb, SPA_META_Cursor);
    if (!m || m->size < CURSOR_META_SIZE(8, 8))
        return;
    struct spa_meta_cursor *c = m->data;
    c->id = 1;
    c->position = SPA_POINT(10, 20);
    c->hotspot = SPA_POINT(3, 2);
    c->bitmap_offset = sizeof(*c);
    struct spa_meta_bitmap *bm = SPA_PTROFF(c, c->bitmap_offset, struct spa_meta_bitmap);
    bm->format = SPA_VIDEO_FORMAT_RGBA;
    bm->size = SPA_RECTANGLE(8, 8);
    bm->stride = 32;
    bm->offset = sizeof(*bm);
    uint8_t *px = SPA_PTROFF(bm, bm->offset, uint8_t);
    for (int i = 0; i < 64; i++) {
        px[i * 4 + 0] = 0x80;
        px[i * 4 + 1] = 0;
        px[i * 4 + 2] = 0;
        px[i * 4 + 3] = 0xff;
    }
}

static void on_producer_process(void *data)
{
    struct producer *p = data;
    if (!p->pending)
        return;
    struct pw_buffer *b = pw_stream_dequeue_buffer(p->stream);
    if (!b)
        return;
    struct spa_buffer *sb = b->buffer;
    struct spa_data *d = &sb->datas[0];
    if (!p->cursor_only && (size_t)p->width * p->height * 4 > d->maxsize) {
        /* A buffer of the size before a resize: wait for the new ones. */
        d->chunk->size = 0;
        pw_stream_queue_buffer(p->stream, b);
        return;
    }
    p->pending = false;
    struct spa_meta_header *h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h));
    if (h)
        h->flags = p->corrupted ? SPA_META_HEADER_FLAG_CORRUPTED : 0;
    struct spa_meta *dm = spa_buffer_find_meta(sb, SPA_META_VideoDamage);
    if (dm) {
        memset(dm->data, 0, dm->size);
        struct spa_meta_region *r = dm->data;
        for (int i = 0; i < p->n_damage && (i + 1) * sizeof(*r) <= dm->size; i++)
            r[i].region = p->damage[i];
    }
    struct spa_meta *cm = spa_buffer_find_meta(sb, SPA_META_Cursor);
    if (cm)
        memset(cm->data, 0, cm->size);
    if (p->cursor)
        write_cursor(sb);
    if (p->cursor_only || !d->data) {
        d->chunk->size = 0;
    } else {
        int stride = p->width * 4;
        for (int y = 0; y < p->height; y++)
            memcpy((uint8_t *)d->data + (size_t)y * stride, p->image + (size_t)y * stride, stride);
        d->chunk->offset = 0;
        d->chunk->stride = stride;
        d->chunk->size = stride * p->height;
    }
    pw_stream_queue_buffer(p->stream, b);
}

static const struct pw_stream_events producer_events = {
    PW_VERSION_STREAM_EVENTS,
    .state_changed = on_producer_state,
    .param_changed = on_producer_param,
    .process = on_producer_process,
};

static struct producer *producer_new(int width, int height)
{
    struct producer *p = g_new0(struct producer, 1);
    p->width = width;
    p->height = height;
    p->image = g_malloc0((size_t)width * height * 4);
    p->tl = pw_thread_loop_new("producer", NULL);
    p->ctx = pw_context_new(pw_thread_loop_get_loop(p->tl), NULL, 0);
    pw_thread_loop_start(p->tl);
    pw_thread_loop_lock(p->tl);
    p->core = pw_context_connect(p->ctx, NULL, 0);
    g_assert_nonnull(p->core);
    p->stream = pw_stream_new(p->core, "fake screen cast",
                              pw_properties_new(PW_KEY_MEDIA_CLASS, "Video/Source",
                                                PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY,
                                                "Source", PW_KEY_MEDIA_ROLE, "Screen", NULL));
    pw_stream_add_listener(p->stream, &p->listener, &producer_events, p);
    uint8_t buffer[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[1];
    producer_format(p, &params[0], &b);
    g_assert_cmpint(pw_stream_connect(p->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
                                      PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_MAP_BUFFERS, params,
                                      1),
                    ==, 0);
    while (pw_stream_get_node_id(p->stream) == SPA_ID_INVALID)
        pw_thread_loop_wait(p->tl);
    pw_thread_loop_unlock(p->tl);
    return p;
}

static uint32_t producer_node(struct producer *p)
{
    pw_thread_loop_lock(p->tl);
    uint32_t node = pw_stream_get_node_id(p->stream);
    pw_thread_loop_unlock(p->tl);
    return node;
}

static void producer_send(struct producer *p, bool cursor_only, bool corrupted, bool cursor,
                          const struct spa_region *damage, int n_damage)
{
    pw_thread_loop_lock(p->tl);
    p->pending = true;
    p->cursor_only = cursor_only;
    p->corrupted = corrupted;
    p->cursor = cursor;
    p->n_damage = n_damage;
    for (int i = 0; i < n_damage; i++)
        p->damage[i] = damage[i];
    pw_stream_trigger_process(p->stream);
    pw_thread_loop_unlock(p->tl);
    /* A trigger while the graph is busy, or without a free buffer, is
     * dropped: trigger again until the buffer went out (once). */
    for (int i = 0; i < 200; i++) {
        run_for(20);
        pw_thread_loop_lock(p->tl);
        bool sent = !p->pending;
        if (!sent)
            pw_stream_trigger_process(p->stream);
        pw_thread_loop_unlock(p->tl);
        if (sent) {
            /* A driver's buffer reaches the consumer in the next cycle:
             * run one without a new buffer. */
            pw_thread_loop_lock(p->tl);
            pw_stream_trigger_process(p->stream);
            pw_thread_loop_unlock(p->tl);
            run_for(30);
            return;
        }
    }
    g_error("the producer could not send a buffer");
}

static void producer_resize(struct producer *p, int width, int height)
{
    pw_thread_loop_lock(p->tl);
    p->width = width;
    p->height = height;
    g_free(p->image);
    p->image = g_malloc0((size_t)width * height * 4);
    uint8_t buffer[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[1];
    producer_format(p, &params[0], &b);
    pw_stream_update_params(p->stream, params, 1);
    pw_thread_loop_unlock(p->tl);
}

static void producer_fill(struct producer *p, int x, int y, int w, int h, uint32_t bgrx)
{
    pw_thread_loop_lock(p->tl);
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            memcpy(p->image + ((size_t)j * p->width + i) * 4, &bgrx, 4);
    pw_thread_loop_unlock(p->tl);
}

static void producer_free(struct producer *p)
{
    pw_thread_loop_lock(p->tl);
    pw_stream_destroy(p->stream);
    pw_core_disconnect(p->core);
    pw_thread_loop_unlock(p->tl);
    pw_thread_loop_stop(p->tl);
    pw_context_destroy(p->ctx);
    pw_thread_loop_destroy(p->tl);
    g_free(p->image);
    g_free(p);
}

/* --- the capture side: a fake stream source and a recording listener --- */

struct fixture {
    struct producer *p;
    capture_stream_ready_fn ready;
    void *ready_data;
    int opens, closes;
    int pending, resized_w, resized_h, cursors, lost;
    struct cursor_image last_cursor;
};

static gboolean deliver_node(gpointer data)
{
    struct fixture *f = data;
    if (f->ready)
        f->ready(producer_node(f->p), NULL, f->ready_data);
    return G_SOURCE_REMOVE;
}

static void fake_open(void *data, capture_stream_ready_fn ready, void *ready_data)
{
    struct fixture *f = data;
    f->opens++;
    f->ready = ready;
    f->ready_data = ready_data;
    g_idle_add(deliver_node, f);
}

static void fake_close(void *data)
{
    struct fixture *f = data;
    f->closes++;
}

static void on_pending(void *data)
{
    ((struct fixture *)data)->pending++;
}

static void on_resized(int w, int h, void *data)
{
    struct fixture *f = data;
    f->resized_w = w;
    f->resized_h = h;
}

static void on_cursor(const struct cursor_image *c, void *data)
{
    struct fixture *f = data;
    f->cursors++;
    f->last_cursor = *c;
    f->last_cursor.argb = NULL;
    g_assert_cmphex(c->argb[0], ==, 0xff800000);
}

static void on_lost(const char *message, void *data)
{
    struct fixture *f = data;
    g_message("lost: %s", message);
    f->lost++;
}

static const struct capture_listener listener = {.damage_pending = on_pending,
                                                 .resized = on_resized,
                                                 .cursor_changed = on_cursor,
                                                 .lost = on_lost};

static bool run_until(int *counter, int want, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (*counter < want && g_get_monotonic_time() < deadline)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(2000);
    return *counter >= want;
}

/* Iterates for @ms, for "nothing happens" checks. */
static void run_for(int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < deadline)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(2000);
}

static long long take_area(struct capture *cap, struct damage_rect *ret_box)
{
    int w, h;
    capture_get_size(cap, &w, &h);
    struct damage *d = damage_create(w, h);
    damage_clear(d);
    capture_collect_damage(cap, d);
    long long area = damage_area(d);
    struct damage_rect r[16];
    int n = damage_take(d, r, 16);
    if (ret_box && n > 0)
        *ret_box = r[0];
    damage_destroy(d);
    return area;
}

static void assert_pixel(struct capture *cap, int x, int y, uint32_t want)
{
    struct damage_rect r = {x, y, 1, 1};
    struct frame *fr = capture_grab(cap, &r, 1);
    g_assert_nonnull(fr);
    uint32_t got;
    memcpy(&got, fr->data, 4);
    g_assert_cmphex(got, ==, want);
    frame_unref(fr);
}

static void test_stream(void)
{
    struct fixture f = {0};
    f.p = producer_new(256, 128);
    struct capture_stream_source source = {.open = fake_open, .close = fake_close, .data = &f};
    struct capture_config cc = {.backend = "mutter", .stream_source = &source, .max_fps = 30};
    char *error = NULL;
    struct capture *cap = capture_create(&cc, &listener, &f, &error);
    if (!cap)
        g_error("capture_create: %s", error);
    int w, h;
    capture_get_size(cap, &w, &h);
    g_assert_cmpint(w, ==, 256);
    g_assert_cmpint(h, ==, 128);
    /* create opened a stream for the size and gave it back */
    g_assert_cmpint(f.opens, ==, 1);
    g_assert_cmpint(f.closes, ==, 1);

    capture_start(cap);
    g_assert_cmpint(f.opens, ==, 2);
    /* wait for the link, then the first frame: damaged everywhere */
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    producer_fill(f.p, 0, 0, 256, 128, 0xff204060);
    while (f.pending == 0 && g_get_monotonic_time() < deadline) {
        producer_send(f.p, false, false, false, NULL, 0);
        run_for(100);
    }
    g_assert_cmpint(f.pending, >=, 1);
    g_assert_cmpint(take_area(cap, NULL), ==, 256 * 128);
    assert_pixel(cap, 255, 127, 0xff204060);

    /* no damage metadata: the one changed tile */
    int before = f.pending;
    producer_fill(f.p, 70, 10, 10, 10, 0xff00ff00);
    producer_send(f.p, false, false, false, NULL, 0);
    g_assert_true(run_until(&f.pending, before + 1, 5000));
    struct damage_rect box;
    g_assert_cmpint(take_area(cap, &box), ==, 64 * 64);
    g_assert_cmpint(box.x, ==, 64);
    g_assert_cmpint(box.y, ==, 0);
    assert_pixel(cap, 75, 15, 0xff00ff00);

    /* the same pixels again: nothing */
    before = f.pending;
    producer_send(f.p, false, false, false, NULL, 0);
    run_for(300);
    g_assert_cmpint(f.pending, ==, before);

    /* with VideoDamage: exactly the boxes given, not tiles */
    producer_fill(f.p, 5, 5, 3, 3, 0xffff0000);
    struct spa_region dmg = SPA_REGION(5, 5, 3, 3);
    producer_send(f.p, false, false, false, &dmg, 1);
    g_assert_true(run_until(&f.pending, before + 1, 5000));
    g_assert_cmpint(take_area(cap, &box), ==, 9);
    g_assert_cmpint(box.x, ==, 5);
    assert_pixel(cap, 7, 7, 0xffff0000);

    /* a cursor-only buffer: a new shape, no damage */
    before = f.pending;
    producer_send(f.p, true, false, true, NULL, 0);
    g_assert_true(run_until(&f.cursors, 1, 5000));
    g_assert_cmpint(f.last_cursor.width, ==, 8);
    g_assert_cmpint(f.last_cursor.hot_x, ==, 3);
    g_assert_cmpint(f.last_cursor.hot_y, ==, 2);
    run_for(200);
    g_assert_cmpint(f.pending, ==, before);

    /* a corrupted buffer is skipped */
    producer_fill(f.p, 200, 100, 10, 10, 0xff0000ff);
    producer_send(f.p, false, true, false, NULL, 0);
    run_for(300);
    g_assert_cmpint(f.pending, ==, before);
    assert_pixel(cap, 205, 105, 0xff204060);

    /* a new size: resized, then the whole new screen */
    producer_resize(f.p, 320, 200);
    producer_fill(f.p, 0, 0, 320, 200, 0xff102030);
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while ((f.resized_w != 320 || f.pending == before) && g_get_monotonic_time() < deadline) {
        producer_send(f.p, false, false, false, NULL, 0);
        run_for(100);
    }
    g_assert_cmpint(f.resized_w, ==, 320);
    g_assert_cmpint(f.resized_h, ==, 200);
    capture_get_size(cap, &w, &h);
    g_assert_cmpint(w, ==, 320);
    g_assert_cmpint(take_area(cap, NULL), ==, 320 * 200);
    assert_pixel(cap, 319, 199, 0xff102030);
    g_assert_cmpint(f.lost, ==, 0);

    /* the producer goes away: lost */
    producer_free(f.p);
    f.p = NULL;
    g_assert_true(run_until(&f.lost, 1, 10000));

    capture_stop(cap);
    g_assert_cmpint(f.closes, ==, 2);
    capture_destroy(cap);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("PIPEWIRE_RUNTIME_DIR") && !g_getenv("XDG_RUNTIME_DIR")) {
        g_print("SKIP: no PipeWire daemon (run through tests/unit/run-with-pipewire.sh)\n");
        return 77;
    }
    pw_init(&argc, &argv);
    g_test_add_func("/capture-mutter/stream", test_stream);
    return g_test_run();
}
