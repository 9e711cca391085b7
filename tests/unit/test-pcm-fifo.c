#include <glib.h>

#include "agent/pcm-fifo.h"

static void fill(uint32_t *buf, size_t n, uint32_t first)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = first + (uint32_t)i;
}

static void test_zero_capacity(void)
{
    g_assert_null(pcm_fifo_create(0));
    pcm_fifo_destroy(NULL);
}

static void test_push_pop_in_order(void)
{
    struct pcm_fifo *f = pcm_fifo_create(8);
    uint32_t in[5], out[8];
    fill(in, 5, 100);
    g_assert_cmpuint(pcm_fifo_push(f, in, 5), ==, 0);
    g_assert_cmpuint(pcm_fifo_length(f), ==, 5);
    g_assert_cmpuint(pcm_fifo_pop(f, out, 3), ==, 3);
    g_assert_cmpuint(out[0], ==, 100);
    g_assert_cmpuint(out[2], ==, 102);
    /* Wraps around the end of the ring. */
    fill(in, 5, 200);
    g_assert_cmpuint(pcm_fifo_push(f, in, 5), ==, 0);
    g_assert_cmpuint(pcm_fifo_pop(f, out, 8), ==, 7);
    uint32_t expect[] = {103, 104, 200, 201, 202, 203, 204};
    for (size_t i = 0; i < 7; i++)
        g_assert_cmpuint(out[i], ==, expect[i]);
    g_assert_cmpuint(pcm_fifo_length(f), ==, 0);
    g_assert_cmpuint(pcm_fifo_pop(f, out, 8), ==, 0);
    pcm_fifo_destroy(f);
}

static void test_overflow_drops_oldest(void)
{
    struct pcm_fifo *f = pcm_fifo_create(4);
    uint32_t in[10], out[4];
    fill(in, 3, 1);
    pcm_fifo_push(f, in, 3);
    fill(in, 3, 10);
    g_assert_cmpuint(pcm_fifo_push(f, in, 3), ==, 2);
    g_assert_cmpuint(pcm_fifo_pop(f, out, 4), ==, 4);
    g_assert_cmpuint(out[0], ==, 3);
    g_assert_cmpuint(out[1], ==, 10);
    g_assert_cmpuint(out[3], ==, 12);
    /* A push larger than the whole queue keeps its newest frames. */
    fill(in, 2, 50);
    pcm_fifo_push(f, in, 2);
    fill(in, 10, 100);
    g_assert_cmpuint(pcm_fifo_push(f, in, 10), ==, 8);
    g_assert_cmpuint(pcm_fifo_length(f), ==, 4);
    pcm_fifo_pop(f, out, 4);
    g_assert_cmpuint(out[0], ==, 106);
    g_assert_cmpuint(out[3], ==, 109);
    pcm_fifo_clear(f);
    g_assert_cmpuint(pcm_fifo_length(f), ==, 0);
    g_assert_cmpuint(pcm_fifo_capacity(f), ==, 4);
    pcm_fifo_destroy(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pcm-fifo/zero-capacity", test_zero_capacity);
    g_test_add_func("/pcm-fifo/push-pop-in-order", test_push_pop_in_order);
    g_test_add_func("/pcm-fifo/overflow-drops-oldest", test_overflow_drops_oldest);
    return g_test_run();
}
