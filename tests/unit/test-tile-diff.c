/* tile-diff: only the 64x64 tiles that changed count, edges included, and
 * the shadow ends up equal to the new frame. */
#include <glib.h>
#include <string.h>

#include "display/tile-diff.h"

#define W 200 /* 3 full tiles and an edge of 8 */
#define H 130 /* 2 full tiles and an edge of 2 */

static uint8_t *frame_new_pattern(size_t stride)
{
    uint8_t *f = g_malloc0(stride * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = f + y * stride + x * 4;
            p[0] = (uint8_t)x;
            p[1] = (uint8_t)y;
            p[2] = (uint8_t)(x ^ y);
            p[3] = 0xff;
        }
    return f;
}

static void assert_shadow_equals(const uint8_t *shadow, const uint8_t *src, size_t stride)
{
    for (int y = 0; y < H; y++)
        g_assert_cmpmem(shadow + y * W * 4, W * 4, src + y * stride, W * 4);
}

/* The damage as a list of rectangles, in damage_take's order. */
static int take(struct damage *d, struct damage_rect *rects, int max)
{
    return damage_take(d, rects, max);
}

static void test_identical(void)
{
    size_t stride = W * 4 + 32; /* padded rows, as PipeWire buffers may have */
    uint8_t *src = frame_new_pattern(stride);
    uint8_t *shadow = g_malloc0(W * 4 * H);
    struct damage *d = damage_create(W, H);
    damage_clear(d);
    /* From black: every tile differs (the pattern has no black tile). */
    g_assert_cmpint(tile_diff_update(shadow, W * 4, src, stride, W, H, 64, d), ==, 4 * 3);
    g_assert_cmpint(damage_area(d), ==, (long long)W * H);
    assert_shadow_equals(shadow, src, stride);
    damage_clear(d);
    /* The same frame again: nothing. */
    g_assert_cmpint(tile_diff_update(shadow, W * 4, src, stride, W, H, 64, d), ==, 0);
    g_assert_true(damage_is_empty(d));
    damage_destroy(d);
    g_free(shadow);
    g_free(src);
}

static void test_single_pixels(void)
{
    size_t stride = W * 4;
    uint8_t *src = frame_new_pattern(stride);
    uint8_t *shadow = g_memdup2(src, stride * H);
    struct damage *d = damage_create(W, H);
    damage_clear(d);
    /* One pixel in the middle of tile (1,0), in the last row of tile (0,1)
     * and in the bottom-right corner (an edge tile of 8x2). */
    src[(10 * stride) + 70 * 4] ^= 1;
    src[(127 * stride) + 3 * 4 + 2] ^= 0x80;
    src[((H - 1) * stride) + (W - 1) * 4 + 1] ^= 0x10;
    g_assert_cmpint(tile_diff_update(shadow, W * 4, src, stride, W, H, 64, d), ==, 3);
    struct damage_rect r[8];
    int n = take(d, r, G_N_ELEMENTS(r));
    long long area = 0;
    for (int i = 0; i < n; i++) {
        area += (long long)r[i].w * r[i].h;
        g_assert_cmpint(r[i].x % 64, ==, 0);
        g_assert_cmpint(r[i].y % 64, ==, 0);
    }
    g_assert_cmpint(area, ==, 2 * 64 * 64 + 8 * 2);
    assert_shadow_equals(shadow, src, stride);
    damage_destroy(d);
    g_free(shadow);
    g_free(src);
}

static void test_alpha_byte_counts(void)
{
    /* BGRx: the x byte is compared too (cheap and safe: a change there is
     * at worst one tile sent for nothing). */
    size_t stride = W * 4;
    uint8_t *src = frame_new_pattern(stride);
    uint8_t *shadow = g_memdup2(src, stride * H);
    src[3] = 0;
    g_assert_cmpint(tile_diff_update(shadow, W * 4, src, stride, W, H, 64, NULL), ==, 1);
    g_assert_cmpint(shadow[3], ==, 0);
    g_free(shadow);
    g_free(src);
}

static void test_copy_rect(void)
{
    size_t stride = W * 4 + 16;
    uint8_t *src = frame_new_pattern(stride);
    uint8_t *shadow = g_malloc0(W * 4 * H);
    struct damage *d = damage_create(W, H);
    damage_clear(d);
    struct damage_rect r = {190, 120, 10, 10};
    tile_diff_copy_rect(shadow, W * 4, src, stride, &r, d);
    g_assert_cmpint(damage_area(d), ==, 100);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            bool in = x >= 190 && y >= 120;
            const uint8_t *s = shadow + y * W * 4 + x * 4;
            if (in)
                g_assert_cmpmem(s, 4, src + y * stride + x * 4, 4);
            else
                g_assert_cmpuint(s[0] | s[1] | s[2] | s[3], ==, 0);
        }
    damage_destroy(d);
    g_free(shadow);
    g_free(src);
}

static void test_degenerate(void)
{
    uint8_t px[4] = {0};
    g_assert_cmpint(tile_diff_update(px, 4, px, 4, 0, 1, 64, NULL), ==, 0);
    g_assert_cmpint(tile_diff_update(px, 4, px, 4, 1, 1, 0, NULL), ==, 0);
    uint8_t other[4] = {1, 2, 3, 4};
    g_assert_cmpint(tile_diff_update(px, 4, other, 4, 1, 1, 64, NULL), ==, 1);
    g_assert_cmpmem(px, 4, other, 4);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tile-diff/identical", test_identical);
    g_test_add_func("/tile-diff/single-pixels", test_single_pixels);
    g_test_add_func("/tile-diff/x-byte", test_alpha_byte_counts);
    g_test_add_func("/tile-diff/copy-rect", test_copy_rect);
    g_test_add_func("/tile-diff/degenerate", test_degenerate);
    return g_test_run();
}
