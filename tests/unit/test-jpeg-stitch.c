/* jpeg-stitch: slices encoded apart and joined decode exactly like the
 * whole picture encoded at once. */
#include <glib.h>
#include <string.h>
#include <turbojpeg.h>

#include "display/fake-pattern.h"
#include "display/jpeg-encoder.h"
#include "display/jpeg-stitch.h"

static uint8_t *decode(const uint8_t *jpeg, size_t size, int w, int h)
{
    tjhandle d = tjInitDecompress();
    int jw, jh, samp, cs;
    g_assert_cmpint(tjDecompressHeader3(d, jpeg, size, &jw, &jh, &samp, &cs), ==, 0);
    g_assert_cmpint(jw, ==, w);
    g_assert_cmpint(jh, ==, h);
    uint8_t *out = g_malloc((size_t)w * h * 4);
    g_assert_cmpint(tjDecompress2(d, jpeg, size, out, w, w * 4, h, TJPF_BGRX, 0), ==, 0);
    tjDestroy(d);
    return out;
}

/* Encodes @px whole and in @n slices; the joined slices must decode to the
 * same pixels as the whole. */
static void check(int w, int h, int n, enum jpeg_subsampling ss)
{
    g_autofree uint8_t *px = g_malloc((size_t)w * h * 4);
    fake_pattern_render_desktop(w, h, px, w * 4);
    char *err = NULL;
    struct jpeg_encoder *enc = jpeg_encoder_create(&err);
    const uint8_t *out;
    size_t size;
    g_assert_cmpint(jpeg_encoder_encode(enc, px, w, h, w * 4, 85, ss, &out, &size, &err), ==, 0);
    g_autofree uint8_t *whole = decode(out, size, w, h);

    int mcu = jpeg_stitch_mcu_height(ss);
    int slice = ((h + n - 1) / n + mcu - 1) / mcu * mcu;
    uint8_t *parts[8];
    size_t sizes[8], total = 0;
    for (int i = 0; i < n; i++) {
        int rows = MIN(slice, h - i * slice);
        g_assert_cmpint(jpeg_encoder_encode(enc, px + (size_t)i * slice * w * 4, w, rows, w * 4, 85,
                                            ss, &out, &size, &err),
                        ==, 0);
        parts[i] = g_memdup2(out, size);
        sizes[i] = size;
        total += size;
    }
    g_autofree uint8_t *joined = g_malloc(total + 16);
    size_t jsize =
        jpeg_stitch((const uint8_t *const *)parts, sizes, n, w, h, slice, ss, joined, total + 16);
    g_assert_cmpuint(jsize, >, 0);
    g_autofree uint8_t *got = decode(joined, jsize, w, h);
    g_assert_cmpmem(got, (size_t)w * h * 4, whole, (size_t)w * h * 4);

    /* Refusals: too small an output, a wrong slice height, a mismatched
     * slice, a truncated one. */
    g_assert_cmpuint(
        jpeg_stitch((const uint8_t *const *)parts, sizes, n, w, h, slice, ss, joined, total), ==,
        0);
    g_assert_cmpuint(jpeg_stitch((const uint8_t *const *)parts, sizes, n, w, h, slice + 1, ss,
                                 joined, total + 16),
                     ==, 0);
    if (n > 1) {
        size_t cut = sizes[1];
        sizes[1] = cut / 2;
        g_assert_cmpuint(jpeg_stitch((const uint8_t *const *)parts, sizes, n, w, h, slice, ss,
                                     joined, total + 16),
                         ==, 0);
        sizes[1] = cut;
    }
    if (n == 2 && h - slice != slice) {
        /* slice 0 again in place of the shorter last slice */
        size_t cut = sizes[1];
        uint8_t *swap = parts[1];
        parts[1] = parts[0];
        sizes[1] = sizes[0];
        g_assert_cmpuint(jpeg_stitch((const uint8_t *const *)parts, sizes, n, w, h, slice, ss,
                                     joined, total + 16),
                         ==, 0);
        parts[1] = swap;
        sizes[1] = cut;
    }
    for (int i = 0; i < n; i++)
        g_free(parts[i]);
    jpeg_encoder_destroy(enc);
}

static void test_two_slices_420(void)
{
    check(1280, 720, 2, JPEG_SUBSAMPLING_420);
}

static void test_odd_sizes(void)
{
    check(1001, 333, 2, JPEG_SUBSAMPLING_420);
    check(640, 481, 3, JPEG_SUBSAMPLING_444);
    check(200, 100, 1, JPEG_SUBSAMPLING_422);
    check(1920, 1080, 8, JPEG_SUBSAMPLING_420); /* restart markers wrap past RST7 */
}

static void test_garbage(void)
{
    const uint8_t junk[] = {0xff, 0xd8, 0xff, 0xc0, 0x00, 0x01, 0xff, 0xd9};
    const uint8_t *parts[] = {junk};
    size_t sizes[] = {sizeof(junk)};
    uint8_t out[64];
    g_assert_cmpuint(
        jpeg_stitch(parts, sizes, 1, 16, 16, 16, JPEG_SUBSAMPLING_420, out, sizeof(out)), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jpeg-stitch/two-slices-420", test_two_slices_420);
    g_test_add_func("/jpeg-stitch/odd-sizes", test_odd_sizes);
    g_test_add_func("/jpeg-stitch/garbage", test_garbage);
    return g_test_run();
}
