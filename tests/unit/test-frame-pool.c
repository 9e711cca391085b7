#include <glib.h>
#include <stdbool.h>

#include "display/frame-pool.h"

static int allocs, frees;

static uint8_t *alloc_buf(size_t size, void **ret_handle, void *user_data)
{
    allocs++;
    *ret_handle = GINT_TO_POINTER(allocs);
    return g_malloc(size);
}

static void free_buf(uint8_t *data, void *handle, void *user_data)
{
    frees++;
    g_free(data);
}

static const struct frame_pool_allocator allocator = {alloc_buf, free_buf};

static void drain(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void test_bounded_and_reused(void)
{
    allocs = frees = 0;
    struct frame_pool *pool = frame_pool_create(64, 2, &allocator, NULL);
    struct frame *a = frame_pool_get(pool, NULL);
    struct frame *b = frame_pool_get(pool, NULL);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_null(frame_pool_get(pool, NULL)); /* at most two */
    g_assert_cmpint(frame_pool_in_use(pool), ==, 2);
    uint8_t *a_data = a->data;
    frame_unref(a);
    drain();
    g_assert_cmpint(frame_pool_in_use(pool), ==, 1);
    struct frame *c = frame_pool_get(pool, NULL);
    g_assert_true(c->data == a_data); /* reused, not reallocated */
    g_assert_cmpint(allocs, ==, 2);
    frame_unref(b);
    frame_unref(c);
    drain();
    frame_pool_destroy(pool);
    g_assert_cmpint(frees, ==, 2);
}

static gpointer unref_in_thread(gpointer data)
{
    frame_unref(data);
    return NULL;
}

static void test_outlives_pool(void)
{
    allocs = frees = 0;
    struct frame_pool *pool = frame_pool_create(64, 2, &allocator, NULL);
    struct frame *a = frame_pool_get(pool, NULL);
    struct frame *b = frame_ref(a);
    frame_pool_destroy(pool); /* a frame is still out */
    g_assert_cmpint(frees, ==, 0);
    frame_unref(b);
    GThread *t = g_thread_new("unref", unref_in_thread, a); /* last ref on another thread */
    g_thread_join(t);
    drain();
    g_assert_cmpint(frees, ==, 1);
}

static void test_plain_frames(void)
{
    struct frame *f = frame_new(10);
    g_assert_cmpuint(f->size, ==, 10);
    frame_ref(f);
    frame_unref(f);
    frame_unref(f);
    frame_unref(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/frame-pool/bounded", test_bounded_and_reused);
    g_test_add_func("/frame-pool/outlives-pool", test_outlives_pool);
    g_test_add_func("/frame/plain", test_plain_frames);
    return g_test_run();
}
