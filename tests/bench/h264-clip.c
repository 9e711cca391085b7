/* h264-clip: the benchmark clip of bench_h264.py and the encoders on it.
 *
 * The clip: 1920x1080 full-screen motion, deterministic. A 2560x1440
 * "world" (the fake backend's desktop with windows, plus a photo-like
 * smooth area and a text-like area) that the camera pans across, 4 pixels
 * right and 2 down a frame: every pixel of every frame changes, as in a
 * full-screen video or a dragged, scrolled page.
 *
 *   h264-clip i420 FILE N          writes N frames as raw I420 (BT.709 limited,
 *                                  the conversion our encoder uses): the
 *                                  reference encoders' input
 *   h264-clip ours N KBPS FPS OUT  encodes with display/h264-encoder, writes the
 *                                  Annex B stream to OUT
 *   h264-clip mjpeg N QUALITY      encodes with display/jpeg-encoder (4:2:0)
 *   h264-clip psnr FILE N          decodes the H.264 stream FILE (libavcodec)
 *                                  and compares with the clip
 *
 * Each prints one line "NAME key=value ...": frames, bytes, cpu_ms (encode
 * CPU per frame, this process, conversion from BGRX included for ours),
 * psnr (dB, RGB, over all frames' pixels). */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

#include "display/fake-pattern.h"
#include "display/h264-encoder.h"
#include "display/jpeg-encoder.h"

#define W  1920
#define H  1080
#define WW 2560
#define WH 1440

static uint8_t *world;

static void world_init(void)
{
    world = g_malloc((size_t)WW * WH * 4);
    fake_pattern_render_desktop(WW, WH, world, WW * 4);
    /* a photo: smooth colour with fine texture */
    for (int y = 200; y < 900; y++)
        for (int x = 1200; x < 2300; x++) {
            uint8_t *p = world + ((size_t)y * WW + x) * 4;
            double fx = x / 300.0, fy = y / 200.0;
            p[0] = (uint8_t)(128 + 90 * sin(fx * 2.0 + fy) + ((x * 13 ^ y * 7) & 7));
            p[1] = (uint8_t)(128 + 90 * cos(fx - fy * 1.5));
            p[2] = (uint8_t)(128 + 80 * sin((fx + fy) * 1.7));
        }
    /* text: dark strokes on white lines */
    for (int y = 950; y < 1400; y++)
        for (int x = 100; x < 1500; x++) {
            uint8_t *p = world + ((size_t)y * WW + x) * 4;
            bool ink = (y % 16) > 2 && (y % 16) < 12 && ((x * 7 + y * 3) % 11 < 2 || x % 9 == 0);
            p[0] = p[1] = p[2] = ink ? 25 : 245;
        }
}

static const uint8_t *clip_frame(int n)
{
    int x0 = (4 * n) % (WW - W), y0 = (2 * n) % (WH - H);
    return world + ((size_t)y0 * WW + x0) * 4; /* stride WW * 4 */
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lround(v);
}

/* Squared error of a decoded I420 picture (BT.709 limited) against the
 * clip's frame, in RGB. */
static double sse_yuv(const AVFrame *f, int n)
{
    const uint8_t *src = clip_frame(n);
    double sse = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double Y = 1.164383 * (f->data[0][y * f->linesize[0] + x] - 16);
            double U = f->data[1][(y / 2) * f->linesize[1] + x / 2] - 128.0;
            double V = f->data[2][(y / 2) * f->linesize[2] + x / 2] - 128.0;
            uint8_t r = clamp8(Y + 1.792741 * V), g = clamp8(Y - 0.213249 * U - 0.532909 * V),
                    b = clamp8(Y + 2.112402 * U);
            const uint8_t *p = src + ((size_t)y * WW + x) * 4;
            double db = b - p[0], dg = g - p[1], dr = r - p[2];
            sse += db * db + dg * dg + dr * dr;
        }
    return sse;
}

static double psnr(double sse, int frames)
{
    double mse = sse / ((double)frames * W * H * 3);
    return mse <= 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
}

static int cmd_i420(const char *path, int n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    uint8_t *y = g_malloc(W * H), *u = g_malloc(W * H / 4), *v = g_malloc(W * H / 4);
    for (int i = 0; i < n; i++) {
        h264_bgrx_to_i420(clip_frame(i), W, H, WW * 4, y, u, v);
        fwrite(y, 1, W * H, f);
        fwrite(u, 1, W * H / 4, f);
        fwrite(v, 1, W * H / 4, f);
    }
    g_free(y), g_free(u), g_free(v);
    return fclose(f) == 0 ? 0 : 1;
}

static int cmd_ours(int n, int kbps, int fps, const char *out)
{
    char *err = NULL;
    struct h264_encoder *enc = h264_encoder_create(W, H, kbps, fps, &err);
    if (!enc) {
        fprintf(stderr, "h264-clip: %s\n", err);
        return 1;
    }
    FILE *f = fopen(out, "wb");
    g_autofree char *skip_path = g_strconcat(out, ".skip", NULL);
    FILE *skips = fopen(skip_path, "w");
    uint64_t bytes = 0;
    double cpu = 0;
    int skipped = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *data;
        size_t size;
        bool key;
        double c0 = cpu_now();
        if (h264_encoder_encode(enc, clip_frame(i), WW * 4, H264_FRAME_MOTION, &data, &size, &key,
                                &err) != 0) {
            fprintf(stderr, "h264-clip: %s\n", err ? err : "bad arguments");
            return 1;
        }
        cpu += cpu_now() - c0;
        if (size == 0) {
            skipped++;
            fprintf(skips, "%d\n", i);
        }
        bytes += size;
        fwrite(data, 1, size, f);
    }
    fclose(f);
    fclose(skips);
    h264_encoder_destroy(enc);
    printf("ours frames=%d skipped=%d bytes=%" G_GUINT64_FORMAT " cpu_ms=%.3f\n", n, skipped,
           bytes, cpu * 1000 / n);
    return 0;
}

static int cmd_mjpeg(int n, int quality)
{
    char *err = NULL;
    struct jpeg_encoder *enc = jpeg_encoder_create(&err);
    tjhandle tj = tjInitDecompress();
    uint8_t *rgb = g_malloc((size_t)W * H * 4);
    uint64_t bytes = 0;
    double cpu = 0, sse = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *data;
        size_t size;
        double c0 = cpu_now();
        if (jpeg_encoder_encode(enc, clip_frame(i), W, H, WW * 4, quality, JPEG_SUBSAMPLING_420,
                                &data, &size, &err) != 0) {
            fprintf(stderr, "h264-clip: %s\n", err);
            return 1;
        }
        cpu += cpu_now() - c0;
        bytes += size;
        if (tjDecompress2(tj, data, size, rgb, W, W * 4, H, TJPF_BGRX, 0) != 0) {
            fprintf(stderr, "h264-clip: %s\n", tjGetErrorStr2(tj));
            return 1;
        }
        const uint8_t *src = clip_frame(i);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++) {
                    double d = (double)rgb[((size_t)y * W + x) * 4 + c] -
                               src[((size_t)y * WW + x) * 4 + c];
                    sse += d * d;
                }
    }
    printf("mjpeg quality=%d frames=%d bytes=%" G_GUINT64_FORMAT " cpu_ms=%.3f psnr=%.2f\n",
           quality, n, bytes, cpu * 1000 / n, psnr(sse, n));
    tjDestroy(tj);
    g_free(rgb);
    jpeg_encoder_destroy(enc);
    return 0;
}

struct h264_reader {
    const uint8_t *p;
    size_t left;
    AVCodecContext *ctx;
    AVCodecParserContext *parser;
    AVPacket *pkt;
    AVFrame *frame;
    bool flushing;
};

/* The next decoded picture, or NULL at the end. */
static AVFrame *next_picture(struct h264_reader *r)
{
    for (;;) {
        if (avcodec_receive_frame(r->ctx, r->frame) == 0)
            return r->frame;
        if (r->flushing)
            return NULL;
        uint8_t *out;
        int out_size;
        int used = av_parser_parse2(r->parser, r->ctx, &out, &out_size, r->p, (int)r->left,
                                    AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
        r->p += used;
        r->left -= (size_t)used;
        if (out_size > 0) {
            r->pkt->data = out;
            r->pkt->size = out_size;
            avcodec_send_packet(r->ctx, r->pkt);
        } else if (r->left == 0 && used == 0) { /* the parser gave its last unit */
            avcodec_send_packet(r->ctx, NULL);
            r->flushing = true;
        }
    }
}

/* Frames the encoder skipped (FILE.skip, one index a line) show the
 * previous picture: compared as such with the clip's frame. */
static int cmd_psnr(const char *path, int n)
{
    gchar *buf, *skips = NULL;
    gsize len;
    if (!g_file_get_contents(path, &buf, &len, NULL))
        return 1;
    bool *skipped = g_new0(bool, n);
    g_autofree char *skip_path = g_strconcat(path, ".skip", NULL);
    if (g_file_get_contents(skip_path, &skips, NULL, NULL)) {
        for (char *q = skips; *q;) {
            char *end;
            long i = strtol(q, &end, 10);
            if (end == q)
                break;
            if (i >= 0 && i < n)
                skipped[i] = true;
            q = end;
        }
        g_free(skips);
    }
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    struct h264_reader r = {(const uint8_t *)buf, len, avcodec_alloc_context3(codec),
                            av_parser_init(AV_CODEC_ID_H264), av_packet_alloc(),
                            av_frame_alloc(), false};
    r.ctx->thread_count = 1;
    if (avcodec_open2(r.ctx, codec, NULL) != 0 || !r.parser)
        return 1;
    double sse = 0;
    int compared = 0;
    AVFrame *shown = NULL;
    for (int i = 0; i < n; i++) {
        if (!skipped[i] || !shown)
            shown = next_picture(&r);
        if (!shown)
            break;
        sse += sse_yuv(shown, i);
        compared++;
    }
    printf("psnr file=%s frames=%d psnr=%.2f\n", path, compared, psnr(sse, MAX(compared, 1)));
    av_frame_free(&r.frame);
    av_packet_free(&r.pkt);
    av_parser_close(r.parser);
    avcodec_free_context(&r.ctx);
    g_free(skipped);
    g_free(buf);
    return compared == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    world_init();
    if (argc == 4 && strcmp(argv[1], "i420") == 0)
        return cmd_i420(argv[2], atoi(argv[3]));
    if (argc == 6 && strcmp(argv[1], "ours") == 0)
        return cmd_ours(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (argc == 4 && strcmp(argv[1], "mjpeg") == 0)
        return cmd_mjpeg(atoi(argv[2]), atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "psnr") == 0)
        return cmd_psnr(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: h264-clip i420 FILE N | ours N KBPS FPS OUT | mjpeg N QUALITY | "
                    "psnr FILE N\n");
    return 2;
}
