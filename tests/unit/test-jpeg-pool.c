/* jpeg-pool: results come back on the main context, and destroying the pool
 * drops the ones not yet delivered without running that context. */
#include <glib.h>
#include <string.h>

#include "display/frame.h"
#include "display/jpeg-pool.h"

#define W 64
#define H 48

struct results {
    int count, with_jpeg;
};

static void on_done(const struct jpeg_pool_result *r, void *data)
{
    struct results *res = data;
    res->count++;
    res->with_jpeg += r->jpeg != NULL && r->width == W && r->height == H;
}

static struct frame *grey_frame(void)
{
    struct frame *f = frame_new(W * H * 4);
    memset(f->data, 0x80, W * H * 4);
    return f;
}

static void test_delivered_on_the_loop(void)
{
    struct results res = {0};
    char *err = NULL;
    struct jpeg_pool *pool = jpeg_pool_create(2, on_done, &res, &err);
    g_assert_nonnull(pool);
    struct frame *f = grey_frame();
    jpeg_pool_submit(pool, f, W, H, W * 4, 80, JPEG_SUBSAMPLING_420, 1);
    frame_unref(f);
    g_assert_cmpint(jpeg_pool_in_flight(pool), ==, 1);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (res.count == 0 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpint(res.count, ==, 1);
    g_assert_cmpint(res.with_jpeg, ==, 1);
    g_assert_cmpint(jpeg_pool_in_flight(pool), ==, 0);
    jpeg_pool_destroy(pool);
    jpeg_pool_destroy(NULL);
}

static gboolean on_other_source(gpointer data)
{
    (*(int *)data)++;
    return G_SOURCE_REMOVE;
}

/* The owner tears down with other sources of its loop pending (their state
 * may be freed already): destroying the pool must dispatch none of them,
 * nor deliver its own results, and free what it holds (ASan checks). */
static void test_destroy_runs_no_other_source(void)
{
    struct results res = {0};
    char *err = NULL;
    struct jpeg_pool *pool = jpeg_pool_create(2, on_done, &res, &err);
    g_assert_nonnull(pool);
    int other = 0;
    /* A socket or timer of the caller: default priority or higher. */
    g_idle_add_full(G_PRIORITY_HIGH, on_other_source, &other, NULL);
    for (int i = 0; i < 4; i++) {
        struct frame *f = grey_frame();
        jpeg_pool_submit(pool, f, W, H, W * 4, 80, JPEG_SUBSAMPLING_444, (uint64_t)i);
        frame_unref(f);
    }
    jpeg_pool_destroy(pool);
    g_assert_cmpint(other, ==, 0);
    g_assert_cmpint(res.count, ==, 0);
    /* Nothing of the pool is left on the context. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_cmpint(other, ==, 1);
    g_assert_cmpint(res.count, ==, 0);
    g_assert_false(g_source_remove_by_user_data(&other));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jpeg-pool/delivered-on-the-loop", test_delivered_on_the_loop);
    g_test_add_func("/jpeg-pool/destroy-runs-no-other-source", test_destroy_runs_no_other_source);
    return g_test_run();
}
