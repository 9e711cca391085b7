/* pipewire-meta: cursor and damage metadata as mutter writes it, and as a
 * broken or hostile producer might: truncated blocks, offsets and strides
 * past the end, huge sizes. */
#include <errno.h>
#include <glib.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>
#include <string.h>

#include "display/pipewire-meta.h"

#define BLOCK_SIZE (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 64 * 64 * 4)

/* A cursor block as mutter 43 fills it: bitmap right after the cursor,
 * pixels right after the bitmap, RGBA premultiplied. */
static uint8_t *cursor_block(int w, int h, uint32_t format, size_t *ret_size)
{
    uint8_t *block = g_malloc0(BLOCK_SIZE);
    struct spa_meta_cursor *c = (struct spa_meta_cursor *)block;
    c->id = 1;
    c->position.x = 300;
    c->position.y = 200;
    c->hotspot.x = 2;
    c->hotspot.y = 3;
    c->bitmap_offset = sizeof(*c);
    struct spa_meta_bitmap *b = (struct spa_meta_bitmap *)(block + c->bitmap_offset);
    b->format = format;
    b->size.width = w;
    b->size.height = h;
    b->stride = w * 4;
    b->offset = sizeof(*b);
    uint8_t *px = (uint8_t *)b + b->offset;
    for (int i = 0; i < w * h; i++) {
        px[i * 4 + 0] = 0x40; /* R (RGBA) */
        px[i * 4 + 1] = 0x20;
        px[i * 4 + 2] = 0x10;
        px[i * 4 + 3] = 0x80;
    }
    *ret_size = BLOCK_SIZE;
    return block;
}

static void test_cursor(void)
{
    size_t size;
    g_autofree uint8_t *block = cursor_block(16, 24, SPA_VIDEO_FORMAT_RGBA, &size);
    struct pipewire_cursor c;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 9, &c), ==, 1);
    g_assert_cmpint(c.x, ==, 300);
    g_assert_cmpint(c.y, ==, 200);
    g_assert_true(c.new_shape);
    g_assert_false(c.hidden);
    g_assert_nonnull(c.image);
    g_assert_cmpint(c.image->width, ==, 16);
    g_assert_cmpint(c.image->height, ==, 24);
    g_assert_cmpint(c.image->hot_x, ==, 2);
    g_assert_cmpint(c.image->hot_y, ==, 3);
    g_assert_cmpuint(c.image->serial, ==, 9);
    g_assert_cmphex(c.image->argb[0], ==, 0x80402010);
    cursor_image_free(c.image);

    /* BGRA: the same bytes mean other channels. */
    g_autofree uint8_t *bgra = cursor_block(4, 4, SPA_VIDEO_FORMAT_BGRA, &size);
    g_assert_cmpint(pipewire_meta_parse_cursor(bgra, size, 1, &c), ==, 1);
    g_assert_cmphex(c.image->argb[0], ==, 0x80102040);
    cursor_image_free(c.image);
}

static void test_cursor_straight_alpha_clamped(void)
{
    size_t size;
    g_autofree uint8_t *block = cursor_block(2, 2, SPA_VIDEO_FORMAT_RGBA, &size);
    uint8_t *px = block + sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap);
    px[0] = 0xff; /* R above A=0x80: not premultiplied */
    struct pipewire_cursor c;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_cmphex(c.image->argb[0], ==, 0x80802010);
    cursor_image_free(c.image);
}

static void test_cursor_no_news(void)
{
    size_t size;
    g_autofree uint8_t *block = cursor_block(8, 8, SPA_VIDEO_FORMAT_RGBA, &size);
    struct spa_meta_cursor *m = (struct spa_meta_cursor *)block;
    struct pipewire_cursor c = {0};
    /* id 0: nothing */
    m->id = 0;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 0);
    /* position only */
    m->id = 1;
    m->bitmap_offset = 0;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_false(c.new_shape);
    g_assert_null(c.image);
    /* bitmap with format 0: no new shape */
    m->bitmap_offset = sizeof(*m);
    struct spa_meta_bitmap *b = (struct spa_meta_bitmap *)(block + m->bitmap_offset);
    b->format = 0;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_false(c.new_shape);
    /* bitmap offset 0 or size 0: invisible */
    b->format = SPA_VIDEO_FORMAT_RGBA;
    b->offset = 0;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_true(c.new_shape);
    g_assert_true(c.hidden);
    g_assert_null(c.image);
    /* fully transparent pixels: invisible too */
    b->offset = sizeof(*b);
    memset((uint8_t *)b + b->offset, 0, 8 * 8 * 4);
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_true(c.hidden);
    g_assert_null(c.image);
}

static void test_cursor_malformed(void)
{
    size_t size;
    g_autofree uint8_t *block = cursor_block(16, 16, SPA_VIDEO_FORMAT_RGBA, &size);
    struct spa_meta_cursor *m = (struct spa_meta_cursor *)block;
    struct spa_meta_bitmap *b = (struct spa_meta_bitmap *)(block + sizeof(*m));
    struct pipewire_cursor c = {.x = 42};
    /* truncated cursor */
    g_assert_cmpint(pipewire_meta_parse_cursor(block, sizeof(*m) - 1, 1, &c), ==, -EINVAL);
    g_assert_cmpint(pipewire_meta_parse_cursor(NULL, 100, 1, &c), ==, -EINVAL);
    /* truncated bitmap header, truncated pixels */
    g_assert_cmpint(pipewire_meta_parse_cursor(block, sizeof(*m) + 4, 1, &c), ==, -EINVAL);
    g_assert_cmpint(
        pipewire_meta_parse_cursor(block, sizeof(*m) + sizeof(*b) + 16 * 16 * 4 - 1, 1, &c), ==,
        -EINVAL);
    g_assert_cmpint(c.x, ==, 42); /* untouched on failure */
    /* bitmap offset inside the cursor struct, or past the end */
    m->bitmap_offset = 4;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    m->bitmap_offset = 0xfffffff0;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    m->bitmap_offset = sizeof(*m);
    /* pixel offset wrapping around */
    b->offset = 0xffffffff;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->offset = sizeof(*b);
    /* stride negative or too small, or huge */
    b->stride = -64;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->stride = 60;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->stride = 0x7fffffff;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->stride = 64;
    /* too large, unknown format */
    b->size.width = PIPEWIRE_CURSOR_MAX + 1;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->size.width = 16;
    b->format = SPA_VIDEO_FORMAT_RGB;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, -EINVAL);
    b->format = SPA_VIDEO_FORMAT_RGBA;
    /* a hotspot outside the bitmap is clamped, not trusted */
    m->hotspot.x = 1000;
    m->hotspot.y = -5;
    g_assert_cmpint(pipewire_meta_parse_cursor(block, size, 1, &c), ==, 1);
    g_assert_cmpint(c.image->hot_x, ==, 0);
    g_assert_cmpint(c.image->hot_y, ==, 0);
    cursor_image_free(c.image);
}

static void test_damage(void)
{
    struct spa_meta_region regions[6] = {0};
    regions[0].region = SPA_REGION(10, 20, 30, 40);
    regions[1].region = SPA_REGION(-10, -10, 20, 20);    /* clipped to 10x10 */
    regions[2].region = SPA_REGION(1270, 710, 100, 100); /* clipped to 10x10 */
    regions[3].region = SPA_REGION(5000, 5, 10, 10);     /* outside: dropped */
    /* [4] is empty: the end */
    regions[5].region = SPA_REGION(0, 0, 1, 1);
    struct damage_rect r[4];
    int n = pipewire_meta_parse_damage(regions, sizeof(regions), 1280, 720, r, 4);
    g_assert_cmpint(n, ==, 3);
    g_assert_cmpint(r[0].x, ==, 10);
    g_assert_cmpint(r[0].y, ==, 20);
    g_assert_cmpint(r[0].w, ==, 30);
    g_assert_cmpint(r[0].h, ==, 40);
    g_assert_cmpint(r[1].x, ==, 0);
    g_assert_cmpint(r[1].w, ==, 10);
    g_assert_cmpint(r[1].h, ==, 10);
    g_assert_cmpint(r[2].x, ==, 1270);
    g_assert_cmpint(r[2].w, ==, 10);
    g_assert_cmpint(r[2].h, ==, 10);
    /* A block cut inside a region reads only whole regions. */
    n = pipewire_meta_parse_damage(regions, sizeof(regions[0]) + 3, 1280, 720, r, 4);
    g_assert_cmpint(n, ==, 1);
    /* Too many: the caller treats the frame as damaged everywhere. */
    n = pipewire_meta_parse_damage(regions, sizeof(regions), 1280, 720, r, 2);
    g_assert_cmpint(n, ==, -E2BIG);
    /* Extremes do not overflow. */
    regions[0].region = SPA_REGION(INT32_MAX, INT32_MAX, UINT32_MAX, UINT32_MAX);
    regions[1].region = SPA_REGION(INT32_MIN, INT32_MIN, UINT32_MAX, UINT32_MAX);
    n = pipewire_meta_parse_damage(regions, 2 * sizeof(regions[0]), 1280, 720, r, 4);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpint(r[0].x, ==, 0);
    g_assert_cmpint(r[0].w, ==, 1280);
    g_assert_cmpint(r[0].h, ==, 720);
    g_assert_cmpint(pipewire_meta_parse_damage(NULL, 64, 1280, 720, r, 4), ==, 0);
    g_assert_cmpint(pipewire_meta_parse_damage(regions, sizeof(regions), 0, 720, r, 4), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pipewire-meta/cursor", test_cursor);
    g_test_add_func("/pipewire-meta/cursor/straight-alpha", test_cursor_straight_alpha_clamped);
    g_test_add_func("/pipewire-meta/cursor/no-news", test_cursor_no_news);
    g_test_add_func("/pipewire-meta/cursor/malformed", test_cursor_malformed);
    g_test_add_func("/pipewire-meta/damage", test_damage);
    return g_test_run();
}
