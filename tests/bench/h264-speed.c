/* h264-speed: what display/h264-encoder costs a frame, on a desktop-like
 * motion clip (an office desktop with a 640x400 window of text and a
 * photo-like area moving across it, as in tests/unit/test-h264-encoder.c).
 *
 *   h264-speed [WIDTH HEIGHT FRAMES KBPS [I420-OUT]]   (default 1920 1080 150 6000)
 *
 * Prints, per frame: our BGRX to I420 conversion and libswscale's (wall
 * and CPU), then h264_encoder_encode (wall, and process CPU: OpenH264's
 * slice threads included), bytes and frames skipped. With I420-OUT it
 * writes the converted frames, so that the x264 and OpenH264 command-line
 * encoders can be timed on exactly the same pictures (display/VIDEO.md
 * names the commands). A figure printer, never a pass/fail test. */
#include <glib.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "display/fake-pattern.h"
#include "display/h264-encoder.h"

static double now_ms(void)
{
    return g_get_monotonic_time() / 1000.0;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double process_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void render_window(uint8_t *win, int ww, int wh)
{
    for (int y = 0; y < wh; y++)
        for (int x = 0; x < ww; x++) {
            uint8_t *p = win + ((size_t)y * ww + x) * 4;
            if (y < 24) {
                p[0] = 160, p[1] = 90, p[2] = 40;
            } else if (y < wh / 2) {
                bool ink = (y % 14) < 9 && (y % 14) > 1 && ((x * 7 + y * 3) % 11 < 2 || x % 9 == 0);
                p[0] = p[1] = p[2] = ink ? 20 : 250;
            } else {
                p[0] = (uint8_t)(128 + 100 * ((x * 3 + y) % 64) / 64);
                p[1] = (uint8_t)(40 + (x + 2 * y) % 180);
                p[2] = (uint8_t)(128 + ((x ^ y) & 63));
            }
            p[3] = 0;
        }
}

int main(int argc, char **argv)
{
    int w = argc > 2 ? atoi(argv[1]) : 1920, h = argc > 2 ? atoi(argv[2]) : 1080;
    int frames = argc > 3 ? atoi(argv[3]) : 150;
    int kbps = argc > 4 ? atoi(argv[4]) : H264_ENCODER_DEFAULT_KBPS;
    FILE *out = argc > 5 ? fopen(argv[5], "wb") : NULL;
    if (argc > 5 && !out) {
        fprintf(stderr, "h264-speed: cannot write %s\n", argv[5]);
        return 1;
    }
    char *error = NULL;
    struct h264_encoder *enc = h264_encoder_create(w, h, kbps, 30, &error);
    if (!enc) {
        fprintf(stderr, "h264-speed: %s\n", error);
        return 1;
    }
    int ww = MIN(640, w / 2), wh = MIN(400, h / 2);
    uint8_t *desktop = g_malloc((size_t)w * h * 4), *frame = g_malloc((size_t)w * h * 4);
    uint8_t *win = g_malloc((size_t)ww * wh * 4);
    uint8_t *i420 = g_malloc((size_t)w * h * 3 / 2);
    fake_pattern_render_desktop(w, h, desktop, w * 4);
    render_window(win, ww, wh);

    struct SwsContext *sws = sws_getContext(w, h, AV_PIX_FMT_BGR0, w, h, AV_PIX_FMT_YUV420P,
                                            SWS_POINT, NULL, NULL, NULL);
    const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);

    double conv_wall = 0, conv_cpu = 0, sws_wall = 0, sws_cpu = 0, enc_wall = 0, enc_cpu = 0,
           enc_max = 0;
    size_t bytes = 0, max_bytes = 0;
    int max_at = 0;
    int skipped = 0, keyframes = 0;
    for (int n = 0; n < frames; n++) {
        memcpy(frame, desktop, (size_t)w * h * 4);
        int x0 = 50 + (12 * n) % (w - ww - 50), y0 = 40 + (6 * n) % (h - wh - 40);
        for (int y = 0; y < wh; y++)
            memcpy(frame + ((size_t)(y0 + y) * w + x0) * 4, win + (size_t)y * ww * 4,
                   (size_t)ww * 4);

        double t0 = now_ms(), c0 = thread_cpu_ms();
        h264_bgrx_to_i420(frame, w, h, w * 4, i420, i420 + (size_t)w * h,
                          i420 + (size_t)w * h * 5 / 4);
        conv_wall += now_ms() - t0;
        conv_cpu += thread_cpu_ms() - c0;

        int dst_stride[3] = {w, w / 2, w / 2};
        const uint8_t *src[1] = {frame};
        int src_stride[1] = {w * 4};
        g_autofree uint8_t *scratch = g_malloc((size_t)w * h * 3 / 2);
        uint8_t *sdst[3] = {scratch, scratch + (size_t)w * h, scratch + (size_t)w * h * 5 / 4};
        t0 = now_ms(), c0 = thread_cpu_ms();
        sws_scale(sws, src, src_stride, 0, h, sdst, dst_stride);
        sws_wall += now_ms() - t0;
        sws_cpu += thread_cpu_ms() - c0;
        if (out)
            fwrite(i420, 1, (size_t)w * h * 3 / 2, out);

        const uint8_t *au;
        size_t size;
        bool key;
        t0 = now_ms(), c0 = process_cpu_ms();
        if (h264_encoder_encode(enc, frame, w * 4, n == 0 ? H264_FRAME_STILL : H264_FRAME_MOTION,
                                &au, &size, &key, &error) != 0) {
            fprintf(stderr, "h264-speed: %s\n", error);
            return 1;
        }
        double dt = now_ms() - t0;
        enc_wall += dt;
        enc_max = MAX(enc_max, dt);
        enc_cpu += process_cpu_ms() - c0;
        if (n > 0) {
            bytes += size;
            if (size > max_bytes)
                max_bytes = size, max_at = n;
        }
        skipped += size == 0;
        keyframes += key;
    }
    printf("h264-speed: %dx%d, %d frames, %d kbit/s (budget %d bytes a frame)\n", w, h, frames,
           kbps, kbps * 1000 / 8 / 30);
    printf("convert (ours):      %.2f ms a frame wall, %.2f ms CPU\n", conv_wall / frames,
           conv_cpu / frames);
    printf("convert (libswscale): %.2f ms a frame wall, %.2f ms CPU\n", sws_wall / frames,
           sws_cpu / frames);
    printf("encode (with convert): %.2f ms a frame wall (max %.2f), %.2f ms CPU (all threads)\n",
           enc_wall / frames, enc_max, enc_cpu / frames);
    printf("bytes a motion frame: mean %.0f, max %zu (frame %d); skipped %d, keyframes %d\n",
           (double)bytes / (frames - 1), max_bytes, max_at, skipped, keyframes);
    sws_freeContext(sws);
    if (out)
        fclose(out);
    h264_encoder_destroy(enc);
    g_free(desktop);
    g_free(frame);
    g_free(win);
    g_free(i420);
    return 0;
}
