/* png-encoder: both formats decode back to the exact pixels (gdk-pixbuf for
 * PNG, zlib for deflate BGRX), odd sizes and strides included. */
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <string.h>
#include <zlib.h>

#include "display/png-encoder.h"

static uint8_t *pattern(int w, int h, int stride)
{
    uint8_t *px = g_malloc0((size_t)stride * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + (size_t)y * stride + 4 * x;
            p[0] = (uint8_t)(x * 7 + y);
            p[1] = (uint8_t)(x ^ y);
            p[2] = (uint8_t)(y * 3);
            p[3] = 0x55; /* X: ignored */
        }
    return px;
}

static void check_png(int w, int h, int stride)
{
    struct png_encoder *enc = png_encoder_create(1);
    uint8_t *px = pattern(w, h, stride);
    const uint8_t *out;
    size_t size;
    g_assert_cmpint(png_encoder_encode(enc, PNG_ENCODER_PNG, px, w, h, stride, &out, &size), ==, 0);
    g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_type("png", NULL);
    g_assert_true(gdk_pixbuf_loader_write(loader, out, size, NULL));
    g_assert_true(gdk_pixbuf_loader_close(loader, NULL));
    GdkPixbuf *pb = gdk_pixbuf_loader_get_pixbuf(loader);
    g_assert_cmpint(gdk_pixbuf_get_width(pb), ==, w);
    g_assert_cmpint(gdk_pixbuf_get_height(pb), ==, h);
    g_assert_false(gdk_pixbuf_get_has_alpha(pb));
    const uint8_t *got = gdk_pixbuf_read_pixels(pb);
    int gstride = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *s = px + (size_t)y * stride + 4 * x;
            const uint8_t *g = got + (size_t)y * gstride + 3 * x;
            g_assert_cmpuint(g[0], ==, s[2]);
            g_assert_cmpuint(g[1], ==, s[1]);
            g_assert_cmpuint(g[2], ==, s[0]);
        }
    g_free(px);
    png_encoder_destroy(enc);
}

static void test_png(void)
{
    check_png(1, 1, 4);
    check_png(37, 19, 37 * 4 + 12);
    check_png(640, 480, 640 * 4);
}

static void test_deflate(void)
{
    struct png_encoder *enc = png_encoder_create(1);
    int w = 33, h = 7, stride = 33 * 4 + 8;
    uint8_t *px = pattern(w, h, stride);
    const uint8_t *out;
    size_t size;
    g_assert_cmpint(png_encoder_encode(enc, PNG_ENCODER_DEFLATE_BGRX, px, w, h, stride, &out, &size),
                    ==, 0);
    uLongf n = (uLongf)w * h * 4;
    uint8_t *raw = g_malloc(n);
    g_assert_cmpint(uncompress(raw, &n, out, size), ==, Z_OK);
    g_assert_cmpuint(n, ==, (uLongf)w * h * 4);
    for (int y = 0; y < h; y++)
        g_assert_true(memcmp(raw + (size_t)y * w * 4, px + (size_t)y * stride, (size_t)w * 4) == 0);
    g_free(raw);
    g_free(px);
    png_encoder_destroy(enc);
}

static void test_bad(void)
{
    struct png_encoder *enc = png_encoder_create(1);
    uint8_t px[16] = {0};
    const uint8_t *out;
    size_t size;
    g_assert_cmpint(png_encoder_encode(enc, PNG_ENCODER_PNG, px, 0, 1, 4, &out, &size), ==, -EINVAL);
    g_assert_cmpint(png_encoder_encode(enc, PNG_ENCODER_PNG, px, 2, 1, 4, &out, &size), ==, -EINVAL);
    png_encoder_destroy(enc);
    png_encoder_destroy(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/png-encoder/png", test_png);
    g_test_add_func("/png-encoder/deflate", test_deflate);
    g_test_add_func("/png-encoder/bad", test_bad);
    return g_test_run();
}
