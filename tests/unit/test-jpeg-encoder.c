/* jpeg-encoder and jpeg-pool: round trips through TurboJPEG's decoder. */
#include <glib.h>
#include <math.h>
#include <string.h>
#include <turbojpeg.h>

#include "display/fake-pattern.h"
#include "display/jpeg-encoder.h"
#include "display/jpeg-pool.h"

#define W               1280
#define H               720
#define DEFAULT_QUALITY 85 /* the agent's --video-quality default */

/* PSNR over the R, G and B channels of two BGRX pictures. */
static double psnr_bgrx(const uint8_t *a, const uint8_t *b, int w, int h)
{
    double se = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int c = 0; c < 3; c++) {
            double d = (double)a[i * 4 + c] - b[i * 4 + c];
            se += d * d;
        }
    double mse = se / ((double)w * h * 3);
    return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

static uint8_t *decode(const uint8_t *jpeg, size_t size, int *ret_w, int *ret_h, int *ret_samp)
{
    tjhandle d = tjInitDecompress();
    g_assert_nonnull(d);
    int w, h, samp, cs;
    g_assert_cmpint(tjDecompressHeader3(d, jpeg, size, &w, &h, &samp, &cs), ==, 0);
    uint8_t *out = g_malloc((size_t)w * h * 4);
    g_assert_cmpint(tjDecompress2(d, jpeg, size, out, w, w * 4, h, TJPF_BGRX, 0), ==, 0);
    tjDestroy(d);
    *ret_w = w;
    *ret_h = h;
    *ret_samp = samp;
    return out;
}

static uint8_t *desktop_frame(void)
{
    uint8_t *px = g_malloc((size_t)W * H * 4);
    fake_pattern_render_desktop(W, H, px, W * 4);
    return px;
}

static void test_round_trip(void)
{
    char *error = NULL;
    struct jpeg_encoder *enc = jpeg_encoder_create(&error);
    g_assert_nonnull(enc);
    g_autofree uint8_t *src = desktop_frame();
    const uint8_t *jpeg;
    size_t size;
    g_assert_cmpint(jpeg_encoder_encode(enc, src, W, H, W * 4, DEFAULT_QUALITY,
                                        JPEG_SUBSAMPLING_420, &jpeg, &size, &error),
                    ==, 0);
    int w, h, samp;
    g_autofree uint8_t *got = decode(jpeg, size, &w, &h, &samp);
    g_assert_cmpint(w, ==, W);
    g_assert_cmpint(h, ==, H);
    g_assert_cmpint(samp, ==, TJSAMP_420);
    double p = psnr_bgrx(src, got, W, H);
    g_test_message("q%d 4:2:0: %zu bytes, PSNR %.2f dB", DEFAULT_QUALITY, size, p);
    g_assert_cmpfloat(p, >=, 35.0);

    /* The still frame: 4:4:4 at 95 is much closer, even on the fake capture's
     * noise-like picture (what the integration tests compare). */
    const uint8_t *first = jpeg;
    size_t again;
    g_assert_cmpint(
        jpeg_encoder_encode(enc, src, W, H, W * 4, 50, JPEG_SUBSAMPLING_420, &jpeg, &again, &error),
        ==, 0);
    g_assert_true(jpeg == first); /* the output buffer is reused */
    fake_pattern_render(FAKE_STATIC, 0, W, H, src, W * 4);
    g_assert_cmpint(
        jpeg_encoder_encode(enc, src, W, H, W * 4, 95, JPEG_SUBSAMPLING_444, &jpeg, &size, &error),
        ==, 0);
    g_autofree uint8_t *still = decode(jpeg, size, &w, &h, &samp);
    g_assert_cmpint(samp, ==, TJSAMP_444);
    double ps = psnr_bgrx(src, still, W, H);
    g_test_message("q95 4:4:4: %zu bytes, PSNR %.2f dB", size, ps);
    g_assert_cmpfloat(ps, >=, 40.0);
    jpeg_encoder_destroy(enc);
}

static void test_stride_and_quality(void)
{
    char *error = NULL;
    struct jpeg_encoder *enc = jpeg_encoder_create(&error);
    g_assert_nonnull(enc);
    /* A sub-rectangle through a stride wider than the picture. */
    g_autofree uint8_t *src = desktop_frame();
    const uint8_t *jpeg;
    size_t lo, hi;
    g_assert_cmpint(jpeg_encoder_encode(enc, src, 640, 360, W * 4, 30, JPEG_SUBSAMPLING_420, &jpeg,
                                        &lo, &error),
                    ==, 0);
    g_assert_cmpint(jpeg_encoder_encode(enc, src, 640, 360, W * 4, 90, JPEG_SUBSAMPLING_420, &jpeg,
                                        &hi, &error),
                    ==, 0);
    g_assert_cmpuint(lo, <, hi);
    jpeg_encoder_destroy(enc);
    jpeg_encoder_destroy(NULL);
}

static void test_errors(void)
{
    char *error = NULL;
    struct jpeg_encoder *enc = jpeg_encoder_create(&error);
    uint8_t px[64];
    const uint8_t *jpeg = NULL;
    size_t size = 0;
    g_assert_cmpint(
        jpeg_encoder_encode(enc, px, 4, 4, 8, 80, JPEG_SUBSAMPLING_420, &jpeg, &size, &error), <,
        0);
    g_assert_nonnull(strstr(error, "stride 8"));
    g_clear_pointer(&error, g_free);
    g_assert_cmpint(
        jpeg_encoder_encode(enc, px, 4, 4, 16, 0, JPEG_SUBSAMPLING_420, &jpeg, &size, &error), ==,
        -EINVAL);
    g_clear_pointer(&error, g_free);
    /* TurboJPEG itself refuses an absurd size: its message is in ours. */
    g_autofree uint8_t *wide = g_malloc0((size_t)65501 * 4 * 16);
    g_assert_cmpint(jpeg_encoder_encode(enc, wide, 65501, 16, 65501 * 4, 80, JPEG_SUBSAMPLING_420,
                                        &jpeg, &size, &error),
                    ==, -EIO);
    g_test_message("error: %s", error);
    g_assert_nonnull(strstr(error, "65500"));
    g_clear_pointer(&error, g_free);
    /* Sizes whose worst-case JPEG exceeds what TurboJPEG can allocate. */
    g_assert_cmpint(jpeg_encoder_encode(enc, px, 60000, 60000, 60000 * 4, 80, JPEG_SUBSAMPLING_420,
                                        &jpeg, &size, &error),
                    ==, -EINVAL);
    g_free(error);
    g_assert_null(jpeg);
    jpeg_encoder_destroy(enc);
}

struct pool_test {
    int results;
    uint64_t seen_mask;
    const uint8_t *src;
    const uint8_t *whole; /* the frame encoded by one thread, decoded */
    GMainLoop *loop;
};

static void on_done(const struct jpeg_pool_result *r, void *data)
{
    struct pool_test *t = data;
    g_assert_null(r->error);
    g_assert_nonnull(r->jpeg);
    gsize size;
    const uint8_t *jpeg = g_bytes_get_data(r->jpeg, &size);
    int w, h, samp;
    g_autofree uint8_t *got = decode(jpeg, size, &w, &h, &samp);
    g_assert_cmpfloat(psnr_bgrx(t->src, got, W, H), >=, 35.0);
    /* the slices joined decode exactly like a single-thread encode */
    g_assert_cmpmem(got, (size_t)W * H * 4, t->whole, (size_t)W * H * 4);
    g_assert_cmpint(r->done_us, >=, r->submitted_us);
    t->seen_mask |= 1ull << r->seq;
    if (++t->results == 8)
        g_main_loop_quit(t->loop);
}

static void test_pool(void)
{
    struct pool_test t = {0};
    char *error = NULL;
    struct jpeg_pool *pool = jpeg_pool_create(2, on_done, &t, &error);
    g_assert_nonnull(pool);
    g_assert_cmpint(jpeg_pool_threads(pool), ==, 2);
    struct frame *frame = frame_new((size_t)W * H * 4);
    fake_pattern_render_desktop(W, H, frame->data, W * 4);
    t.src = frame->data;
    struct jpeg_encoder *enc = jpeg_encoder_create(&error);
    const uint8_t *jpeg;
    size_t size;
    g_assert_cmpint(jpeg_encoder_encode(enc, frame->data, W, H, W * 4, DEFAULT_QUALITY,
                                        JPEG_SUBSAMPLING_420, &jpeg, &size, &error),
                    ==, 0);
    int w, h, samp;
    g_autofree uint8_t *whole = decode(jpeg, size, &w, &h, &samp);
    jpeg_encoder_destroy(enc);
    t.whole = whole;
    t.loop = g_main_loop_new(NULL, FALSE);
    for (uint64_t i = 0; i < 8; i++)
        jpeg_pool_submit(pool, frame, W, H, W * 4, DEFAULT_QUALITY, JPEG_SUBSAMPLING_420, i);
    g_assert_cmpint(jpeg_pool_in_flight(pool), ==, 8);
    g_main_loop_run(t.loop);
    g_assert_cmpint(jpeg_pool_in_flight(pool), ==, 0);
    g_assert_cmpuint(t.seen_mask, ==, 0xff);
    /* Destroying with encodes in flight drops their results, leaks nothing. */
    jpeg_pool_submit(pool, frame, W, H, W * 4, DEFAULT_QUALITY, JPEG_SUBSAMPLING_420, 9);
    jpeg_pool_destroy(pool);
    jpeg_pool_destroy(NULL);
    g_assert_cmpint(t.results, ==, 8);
    frame_unref(frame);
    g_main_loop_unref(t.loop);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jpeg-encoder/round-trip", test_round_trip);
    g_test_add_func("/jpeg-encoder/stride-and-quality", test_stride_and_quality);
    g_test_add_func("/jpeg-encoder/errors", test_errors);
    g_test_add_func("/jpeg-pool/parallel", test_pool);
    return g_test_run();
}
