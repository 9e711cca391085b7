/* h264-pool: frames come back on the main loop in submit order, a size
 * change makes a new encoder (an IDR), keyframe and bitrate requests reach
 * the worker, and destroying the pool with frames in flight is safe. */
#include <glib.h>
#include <string.h>

#include "display/fake-pattern.h"
#include "display/h264-pool.h"

struct seen {
    GArray *seqs;
    GArray *keys;
    GArray *sizes;
    int errors;
};

static void on_done(const struct h264_pool_result *r, void *data)
{
    struct seen *s = data;
    if (r->error) {
        s->errors++;
        return;
    }
    g_array_append_val(s->seqs, r->seq);
    int key = r->keyframe;
    g_array_append_val(s->keys, key);
    size_t size = g_bytes_get_size(r->au);
    g_array_append_val(s->sizes, size);
}

static struct frame *picture(int w, int h, uint64_t n)
{
    struct frame *f = frame_new((size_t)w * h * 4);
    fake_pattern_render(FAKE_SCROLL, n, w, h, f->data, w * 4);
    return f;
}

static void wait_for(struct h264_pool *pool)
{
    while (h264_pool_in_flight(pool) > 0)
        g_main_context_iteration(NULL, TRUE);
}

static void test_order_and_keyframes(void)
{
    struct seen s = {g_array_new(FALSE, FALSE, sizeof(uint64_t)),
                     g_array_new(FALSE, FALSE, sizeof(int)),
                     g_array_new(FALSE, FALSE, sizeof(size_t)), 0};
    struct h264_pool *pool = h264_pool_create(2000, 30, on_done, &s);
    for (uint64_t i = 1; i <= 6; i++) {
        struct frame *f = picture(320, 240, i);
        h264_pool_submit(pool, f, 320, 240, 320 * 4, H264_FRAME_MOTION, i);
        frame_unref(f);
        if (i == 3)
            wait_for(pool), h264_pool_request_keyframe(pool);
    }
    wait_for(pool);
    /* A new size: a new encoder, whose first frame is an IDR. */
    struct frame *f = picture(640, 480, 7);
    h264_pool_submit(pool, f, 640, 480, 640 * 4, H264_FRAME_MOTION, 7);
    frame_unref(f);
    wait_for(pool);
    g_assert_cmpint(s.errors, ==, 0);
    g_assert_cmpuint(s.seqs->len, ==, 7);
    for (guint i = 0; i < s.seqs->len; i++) {
        g_assert_cmpuint(g_array_index(s.seqs, uint64_t, i), ==, i + 1);
        bool key = i == 0 || i == 3 || i == 6;
        g_assert_cmpint(g_array_index(s.keys, int, i), ==, key);
        g_assert_cmpuint(g_array_index(s.sizes, size_t, i), >, 0);
    }
    h264_pool_set_bitrate(pool, 0); /* clamped, not refused */
    g_assert_cmpint(h264_pool_bitrate(pool), ==, H264_ENCODER_MIN_KBPS);
    h264_pool_destroy(pool);
    g_array_unref(s.seqs);
    g_array_unref(s.keys);
    g_array_unref(s.sizes);
}

static void test_bad_size_is_an_error(void)
{
    struct seen s = {g_array_new(FALSE, FALSE, sizeof(uint64_t)),
                     g_array_new(FALSE, FALSE, sizeof(int)),
                     g_array_new(FALSE, FALSE, sizeof(size_t)), 0};
    struct h264_pool *pool = h264_pool_create(2000, 30, on_done, &s);
    struct frame *f = frame_new(15 * 16 * 4);
    h264_pool_submit(pool, f, 15, 16, 15 * 4, H264_FRAME_MOTION, 1);
    frame_unref(f);
    wait_for(pool);
    g_assert_cmpint(s.errors, ==, 1);
    h264_pool_destroy(pool);
    g_array_unref(s.seqs);
    g_array_unref(s.keys);
    g_array_unref(s.sizes);
}

static void test_destroy_in_flight(void)
{
    struct seen s = {g_array_new(FALSE, FALSE, sizeof(uint64_t)),
                     g_array_new(FALSE, FALSE, sizeof(int)),
                     g_array_new(FALSE, FALSE, sizeof(size_t)), 0};
    struct h264_pool *pool = h264_pool_create(2000, 30, on_done, &s);
    for (uint64_t i = 1; i <= 3; i++) {
        struct frame *f = picture(320, 240, i);
        h264_pool_submit(pool, f, 320, 240, 320 * 4, H264_FRAME_MOTION, i);
        frame_unref(f);
    }
    h264_pool_destroy(pool);
    /* The results on their way are dropped, never delivered. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_cmpuint(s.seqs->len, ==, 0);
    g_array_unref(s.seqs);
    g_array_unref(s.keys);
    g_array_unref(s.sizes);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/h264-pool/order-and-keyframes", test_order_and_keyframes);
    g_test_add_func("/h264-pool/bad-size", test_bad_size_is_an_error);
    g_test_add_func("/h264-pool/destroy-in-flight", test_destroy_in_flight);
    return g_test_run();
}
