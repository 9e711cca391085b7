/* h264-encoder: round trips through libavcodec's H.264 decoder on a
 * desktop-like motion clip, keyframes on request, bitrate changes and
 * refused sizes. */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <string.h>

#include "display/fake-pattern.h"
#include "display/h264-encoder.h"

#define W   1920
#define H   1080
#define FPS 30

/* --- the clip: an office desktop, a window with text-like rows and a
 * photo-like picture moving across it (the damage of a dragged window or a
 * video in a browser) --- */

struct clip {
    uint8_t *desktop;
    uint8_t *window;
    int ww, wh;
    uint8_t *frame;
};

static void clip_init(struct clip *c)
{
    c->desktop = g_malloc((size_t)W * H * 4);
    fake_pattern_render_desktop(W, H, c->desktop, W * 4);
    c->ww = 640;
    c->wh = 400;
    c->window = g_malloc((size_t)c->ww * c->wh * 4);
    for (int y = 0; y < c->wh; y++)
        for (int x = 0; x < c->ww; x++) {
            uint8_t *p = c->window + ((size_t)y * c->ww + x) * 4;
            if (y < 24) { /* title bar */
                p[0] = 160, p[1] = 90, p[2] = 40, p[3] = 0;
            } else if (y < 200) { /* text: 1-pixel strokes on white */
                bool ink = (y % 14) < 9 && (y % 14) > 1 && ((x * 7 + y * 3) % 11 < 2 || x % 9 == 0);
                uint8_t v = ink ? 20 : 250;
                p[0] = p[1] = p[2] = v, p[3] = 0;
            } else { /* photo-like: smooth colour with some texture */
                double fx = x / 640.0, fy = (y - 200) / 200.0;
                p[0] = (uint8_t)(128 + 100 * sin(fx * 6.0 + fy * 2.0));
                p[1] = (uint8_t)(128 + 90 * cos(fx * 3.0 - fy * 4.0));
                p[2] = (uint8_t)(128 + 80 * sin((fx + fy) * 5.0) + ((x ^ y) & 7));
                p[3] = 0;
            }
        }
    c->frame = g_malloc((size_t)W * H * 4);
}

static void clip_finish(struct clip *c)
{
    g_free(c->desktop);
    g_free(c->window);
    g_free(c->frame);
}

/* 0, step, 2 step, ... up to @range and back down: a window dragged to
 * and fro, never jumping. */
static int bounce(int n, int step, int range)
{
    int p = (n * step) % (2 * range);
    return p < range ? p : 2 * range - p;
}

/* Frame @n: the window 12 pixels right and 6 down of frame n - 1 (or
 * left and up, on its way back). */
static const uint8_t *clip_frame(struct clip *c, int n)
{
    memcpy(c->frame, c->desktop, (size_t)W * H * 4);
    int x0 = 100 + bounce(n, 12, W - c->ww - 200), y0 = 80 + bounce(n, 6, H - c->wh - 160);
    for (int y = 0; y < c->wh; y++)
        memcpy(c->frame + ((size_t)(y0 + y) * W + x0) * 4, c->window + (size_t)y * c->ww * 4,
               (size_t)c->ww * 4);
    return c->frame;
}

/* --- libavcodec's decoder, one access unit in, one picture out --- */

struct decoder {
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *frame;
};

static void decoder_init(struct decoder *d)
{
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    g_assert_nonnull(codec);
    d->ctx = avcodec_alloc_context3(codec);
    d->ctx->thread_count = 1; /* frame threads would hold pictures back */
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    g_assert_cmpint(avcodec_open2(d->ctx, codec, NULL), ==, 0);
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
}

static void decoder_finish(struct decoder *d)
{
    av_frame_free(&d->frame);
    av_packet_free(&d->pkt);
    avcodec_free_context(&d->ctx);
}

/* Decodes one access unit; it must give one picture at once (no delay). */
static const AVFrame *decode(struct decoder *d, const uint8_t *au, size_t size)
{
    g_assert_cmpint(av_new_packet(d->pkt, (int)size), ==, 0);
    memcpy(d->pkt->data, au, size);
    g_assert_cmpint(avcodec_send_packet(d->ctx, d->pkt), ==, 0);
    av_packet_unref(d->pkt);
    g_assert_cmpint(avcodec_receive_frame(d->ctx, d->frame), ==, 0);
    g_assert_cmpint(d->frame->width, ==, W);
    g_assert_cmpint(d->frame->height, ==, H);
    g_assert_cmpint(d->frame->format, ==, AV_PIX_FMT_YUV420P);
    g_assert_cmpint(d->frame->colorspace, ==, AVCOL_SPC_BT709);
    g_assert_cmpint(d->frame->color_range, ==, AVCOL_RANGE_MPEG);
    return d->frame;
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lrint(v);
}

/* PSNR over R, G and B of the source against the decoded picture turned
 * back into RGB (BT.709, limited range): conversion and codec together. */
static double psnr_rgb(const uint8_t *bgrx, const AVFrame *f)
{
    double se = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double Y = 1.164384 * (f->data[0][y * f->linesize[0] + x] - 16);
            double U = f->data[1][(y / 2) * f->linesize[1] + x / 2] - 128;
            double V = f->data[2][(y / 2) * f->linesize[2] + x / 2] - 128;
            uint8_t rgb[3] = {clamp8(Y + 1.792741 * V), clamp8(Y - 0.213249 * U - 0.532909 * V),
                              clamp8(Y + 2.112402 * U)};
            const uint8_t *s = bgrx + ((size_t)y * W + x) * 4;
            for (int c = 0; c < 3; c++) {
                double d = (double)rgb[c] - s[2 - c];
                se += d * d;
            }
        }
    double mse = se / ((double)W * H * 3);
    return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

/* The NAL unit types of an Annex B access unit, as a bit mask. */
static unsigned nal_types(const uint8_t *au, size_t size)
{
    unsigned mask = 0;
    g_assert_cmpuint(size, >, 4);
    g_assert_true(au[0] == 0 && au[1] == 0 && (au[2] == 1 || (au[2] == 0 && au[3] == 1)));
    for (size_t i = 0; i + 3 < size; i++)
        if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1)
            mask |= 1u << (au[i + 3] & 0x1f);
    return mask;
}

#define NAL_SLICE (1u << 1)
#define NAL_IDR   (1u << 5)
#define NAL_SPS   (1u << 7)
#define NAL_PPS   (1u << 8)

struct coded {
    size_t size;
    bool keyframe;
    unsigned nals;
    double psnr;
};

static struct coded encode_one(struct h264_encoder *enc, struct decoder *dec, const uint8_t *px,
                               enum h264_frame_kind kind)
{
    const uint8_t *au;
    size_t size;
    bool key;
    char *error = NULL;
    g_assert_cmpint(h264_encoder_encode(enc, px, W * 4, kind, &au, &size, &key, &error), ==, 0);
    g_assert_null(error);
    struct coded c = {.size = size, .keyframe = key};
    if (size) {
        c.nals = nal_types(au, size);
        c.psnr = psnr_rgb(px, decode(dec, au, size));
    }
    return c;
}

static void test_round_trip(void)
{
    char *error = NULL;
    struct h264_encoder *enc = h264_encoder_create(W, H, H264_ENCODER_DEFAULT_KBPS, FPS, &error);
    g_assert_nonnull(enc);
    struct decoder dec;
    decoder_init(&dec);
    struct clip clip;
    clip_init(&clip);

    /* The stream starts as the agent starts it: a still frame, an IDR. */
    struct coded first = encode_one(enc, &dec, clip_frame(&clip, 0), H264_FRAME_STILL);
    g_assert_true(first.keyframe);
    g_assert_cmpuint(first.nals & (NAL_SPS | NAL_PPS | NAL_IDR), ==, NAL_SPS | NAL_PPS | NAL_IDR);
    g_test_message("first (still) frame: %zu bytes, %.2f dB", first.size, first.psnr);

    double min_psnr = 99, sum_psnr = 0;
    size_t bytes = 0;
    int n = 0, skipped = 0;
    gint64 t0 = g_get_monotonic_time();
    for (int i = 1; i <= 90; i++) {
        struct coded c = encode_one(enc, &dec, clip_frame(&clip, i), H264_FRAME_MOTION);
        if (!c.size) {
            skipped++;
            continue;
        }
        g_assert_false(c.keyframe); /* no periodic or scene-cut IDR */
        g_assert_cmpuint(c.nals & (NAL_IDR | NAL_SPS), ==, 0);
        g_assert_cmpuint(c.nals & NAL_SLICE, !=, 0);
        min_psnr = MIN(min_psnr, c.psnr);
        sum_psnr += c.psnr;
        bytes += c.size;
        n++;
    }
    gint64 t1 = g_get_monotonic_time();
    g_test_message("motion: %d frames (%d skipped), %.0f bytes a frame (budget %d), PSNR mean "
                   "%.2f min %.2f dB, %.1f ms a frame (encode + decode + PSNR)",
                   n, skipped, (double)bytes / n, H264_ENCODER_DEFAULT_KBPS * 1000 / 8 / FPS,
                   sum_psnr / n, min_psnr, (t1 - t0) / 1000.0 / 90);
    g_assert_cmpint(skipped, <=, 3);
    g_assert_cmpfloat(min_psnr, >=, 35.0);
    /* Constant bitrate: on average within a fifth of the budget. */
    double budget = H264_ENCODER_DEFAULT_KBPS * 1000.0 / 8 / FPS;
    g_assert_cmpfloat((double)bytes / 90, <=, budget * 1.2);

    /* Motion stops: still frames of the last picture sharpen it. */
    const uint8_t *last = clip_frame(&clip, 90);
    struct coded s1 = encode_one(enc, &dec, last, H264_FRAME_STILL);
    struct coded s2 = encode_one(enc, &dec, last, H264_FRAME_STILL);
    g_test_message("still frames: %zu bytes %.2f dB, %zu bytes %.2f dB", s1.size, s1.psnr, s2.size,
                   s2.psnr);
    g_assert_false(s1.keyframe);
    g_assert_cmpfloat(MAX(s1.psnr, s2.psnr), >=, 40.0);

    clip_finish(&clip);
    decoder_finish(&dec);
    h264_encoder_destroy(enc);
}

static void test_keyframe_on_request(void)
{
    char *error = NULL;
    struct h264_encoder *enc = h264_encoder_create(W, H, H264_ENCODER_DEFAULT_KBPS, FPS, &error);
    g_assert_nonnull(enc);
    struct decoder dec;
    decoder_init(&dec);
    struct clip clip;
    clip_init(&clip);
    for (int i = 0; i < 10; i++) {
        struct coded c = encode_one(enc, &dec, clip_frame(&clip, i), H264_FRAME_MOTION);
        g_assert_true(c.keyframe == (i == 0));
    }
    h264_encoder_request_keyframe(enc);
    struct coded k = encode_one(enc, &dec, clip_frame(&clip, 10), H264_FRAME_MOTION);
    g_assert_true(k.keyframe);
    g_assert_cmpuint(k.nals & (NAL_SPS | NAL_PPS | NAL_IDR), ==, NAL_SPS | NAL_PPS | NAL_IDR);
    struct coded p = encode_one(enc, &dec, clip_frame(&clip, 11), H264_FRAME_MOTION);
    g_assert_false(p.keyframe);

    /* A decoder that joins at the requested IDR decodes every frame from
     * there on (decode() asserts a picture each); the IDR is paid back by
     * P frames at a high QP, then the picture is back at the clip's
     * quality. */
    struct decoder late;
    decoder_init(&late);
    h264_encoder_request_keyframe(enc);
    double psnr = 0;
    for (int i = 12; i < 42; i++) {
        const uint8_t *au;
        size_t size;
        bool key;
        g_assert_cmpint(h264_encoder_encode(enc, clip_frame(&clip, i), W * 4, H264_FRAME_MOTION,
                                            &au, &size, &key, &error),
                        ==, 0);
        g_assert_true(key == (i == 12));
        if (!size) {
            g_test_message("late decoder, frame %d: skipped by the rate control", i);
            continue; /* the IDR's bits are paid back */
        }
        psnr = psnr_rgb(clip.frame, decode(&late, au, size));
        g_test_message("late decoder, frame %d: %zu bytes, %.2f dB", i, size, psnr);
    }
    g_assert_cmpfloat(psnr, >=, 35.0);
    decoder_finish(&late);
    clip_finish(&clip);
    decoder_finish(&dec);
    h264_encoder_destroy(enc);
}

/* Mean bytes a frame over frames @from..@from+@count of the clip (the
 * rate control's output; decoding is tested above). */
static double mean_bytes(struct h264_encoder *enc, struct clip *clip, int from, int count)
{
    size_t bytes = 0;
    for (int i = from; i < from + count; i++) {
        const uint8_t *au;
        size_t size;
        bool key;
        char *error = NULL;
        g_assert_cmpint(h264_encoder_encode(enc, clip_frame(clip, i), W * 4, H264_FRAME_MOTION, &au,
                                            &size, &key, &error),
                        ==, 0);
        g_assert_false(key); /* new rates cost no IDR */
        bytes += size;
    }
    return (double)bytes / count;
}

static void test_bitrate_change(void)
{
    char *error = NULL;
    struct h264_encoder *enc = h264_encoder_create(W, H, H264_ENCODER_DEFAULT_KBPS, FPS, &error);
    g_assert_nonnull(enc);
    struct decoder dec;
    decoder_init(&dec);
    struct clip clip;
    clip_init(&clip);
    g_assert_true(encode_one(enc, &dec, clip_frame(&clip, 0), H264_FRAME_MOTION).keyframe);

    /* OpenH264's rate control takes some frames to follow: 20 to settle,
     * 30 to measure. */
    mean_bytes(enc, &clip, 1, 10); /* the IDR is paid back */
    double high = mean_bytes(enc, &clip, 11, 30);
    g_assert_cmpint(h264_encoder_set_bitrate(enc, 1000), ==, 0);
    g_assert_cmpint(h264_encoder_bitrate(enc), ==, 1000);
    mean_bytes(enc, &clip, 41, 20);
    double low = mean_bytes(enc, &clip, 61, 30);
    g_assert_cmpint(h264_encoder_set_bitrate(enc, H264_ENCODER_DEFAULT_KBPS), ==, 0);
    mean_bytes(enc, &clip, 91, 20);
    double back = mean_bytes(enc, &clip, 111, 30);
    g_test_message("bytes a frame: %d kbit/s %.0f, 1000 kbit/s %.0f, %d again %.0f",
                   H264_ENCODER_DEFAULT_KBPS, high, low, H264_ENCODER_DEFAULT_KBPS, back);
    /* The clip needs more than 1000 kbit/s: the new budget holds it, within
     * what OpenH264's rate control keeps over a second (measured: 0.8 to
     * 1.25 times the budget, varying with its slice threads' timing). */
    g_assert_cmpfloat(low, <=, 1000 * 1000.0 / 8 / FPS * 1.3);
    g_assert_cmpfloat(low * 2, <, high);
    g_assert_cmpfloat(back, >, low * 2);

    /* Frame rate: the same bitrate over a third of the frames. */
    g_assert_cmpint(h264_encoder_set_bitrate(enc, 1000), ==, 0);
    mean_bytes(enc, &clip, 141, 30);
    double at30 = mean_bytes(enc, &clip, 171, 30);
    g_assert_cmpint(h264_encoder_set_fps(enc, 10), ==, 0);
    g_assert_cmpint(h264_encoder_fps(enc), ==, 10);
    mean_bytes(enc, &clip, 201, 20);
    double at10 = mean_bytes(enc, &clip, 221, 30);
    g_test_message("bytes a frame at 1000 kbit/s: 30 frames/s %.0f, 10 frames/s %.0f", at30, at10);
    g_assert_cmpfloat(at10, >, at30 * 1.5);
    g_assert_cmpint(h264_encoder_set_bitrate(enc, 2000), ==, 0);

    /* Out of range: refused, the old values stay. */
    g_assert_cmpint(h264_encoder_set_bitrate(enc, 0), ==, -EINVAL);
    g_assert_cmpint(h264_encoder_set_bitrate(enc, H264_ENCODER_MAX_KBPS + 1), ==, -EINVAL);
    g_assert_cmpint(h264_encoder_set_fps(enc, 0), ==, -EINVAL);
    g_assert_cmpint(h264_encoder_set_fps(enc, H264_ENCODER_MAX_FPS + 1), ==, -EINVAL);
    g_assert_cmpint(h264_encoder_bitrate(enc), ==, 2000);
    g_assert_cmpint(h264_encoder_fps(enc), ==, 10);
    clip_finish(&clip);
    decoder_finish(&dec);
    h264_encoder_destroy(enc);
}

static void test_bad_arguments(void)
{
    static const int sizes[][2] = {
        {0, 0},
        {-2, 100},
        {15, 16},
        {16, 14},
        {1921, 1080},
        {1920, 1081},
        {H264_ENCODER_MAX_WIDTH + 2, 1080},
        {1920, H264_ENCODER_MAX_HEIGHT + 2},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        char *error = NULL;
        g_assert_null(h264_encoder_create(sizes[i][0], sizes[i][1], 6000, 30, &error));
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error, "cannot encode"));
        g_free(error);
    }
    static const int rates[][2] = {
        {0, 30}, {H264_ENCODER_MAX_KBPS + 1, 30}, {6000, 0}, {6000, H264_ENCODER_MAX_FPS + 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(rates); i++) {
        char *error = NULL;
        g_assert_null(h264_encoder_create(640, 480, rates[i][0], rates[i][1], &error));
        g_assert_nonnull(strstr(error, "out of range"));
        g_free(error);
    }
    char *error = NULL;
    struct h264_encoder *enc = h264_encoder_create(64, 48, 500, 30, &error);
    g_assert_nonnull(enc);
    uint8_t px[64 * 48 * 4] = {0};
    const uint8_t *au;
    size_t size;
    bool key;
    g_assert_cmpint(
        h264_encoder_encode(enc, px, 63 * 4, H264_FRAME_MOTION, &au, &size, &key, &error), ==,
        -EINVAL);
    g_assert_cmpint(
        h264_encoder_encode(enc, NULL, 64 * 4, H264_FRAME_MOTION, &au, &size, &key, &error), ==,
        -EINVAL);
    /* The smallest sizes work. */
    g_assert_cmpint(
        h264_encoder_encode(enc, px, 64 * 4, H264_FRAME_MOTION, &au, &size, &key, &error), ==, 0);
    g_assert_true(key);
    h264_encoder_destroy(enc);
    h264_encoder_destroy(NULL);
}

static void test_convert(void)
{
    /* White, black, pure red and a 2x2 block of mixed colours. */
    uint8_t px[4 * 2 * 4] = {
        255, 255, 255, 0, 0, 0, 0, 0, 0,   0, 255, 0, 0, 0,   255, 0,
        255, 255, 255, 0, 0, 0, 0, 0, 255, 0, 0,   0, 0, 255, 0,   0,
    };
    uint8_t y[8], u[2], v[2];
    h264_bgrx_to_i420(px, 4, 2, 16, y, u, v);
    g_assert_cmpint(y[0], ==, 235);
    g_assert_cmpint(y[1], ==, 16);
    g_assert_cmpint(y[2], ==, 63);  /* BT.709 red: 16 + 0.1826 * 255 */
    g_assert_cmpint(y[6], ==, 32);  /* blue: 16 + 0.0620 * 255 */
    g_assert_cmpint(y[7], ==, 173); /* green: 16 + 0.6142 * 255 */
    g_assert_cmpint(u[0], ==, 128); /* white and black: no colour */
    g_assert_cmpint(v[0], ==, 128);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/h264-encoder/convert", test_convert);
    g_test_add_func("/h264-encoder/round-trip", test_round_trip);
    g_test_add_func("/h264-encoder/keyframe-on-request", test_keyframe_on_request);
    g_test_add_func("/h264-encoder/bitrate-change", test_bitrate_change);
    g_test_add_func("/h264-encoder/bad-arguments", test_bad_arguments);
    return g_test_run();
}
