/* jpeg-parallel: which way of using two cores for JPEG is better.
 *
 *   jpeg-parallel WIDTH HEIGHT FRAMES QUALITY
 *
 * Encodes FRAMES frames of x-workload's "full" pattern with the agent's
 * jpeg_encoder three ways and prints one line each:
 *   serial  - one thread, frame after frame
 *   frames  - two threads, alternating frames
 *   slices  - two threads, each frame split into a top and bottom half
 *             encoded at once (what jpeg-pool does; joining the halves with
 *             jpeg-stitch, one copy of the output, is not included)
 * as: mode fps latency_ms(mean per frame, submit to done) cpu_ms_per_frame */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "display/jpeg-encoder.h"

static int W, H, Q;
static uint8_t **frames;
static int n_frames;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint32_t *px, unsigned n)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] =
                ((x + n * 7) & 0xff) << 16 | ((y + n * 3) & 0xff) << 8 | ((x ^ y ^ n) & 0xff);
}

struct part {
    struct jpeg_encoder *enc;
    int first, step; /* frames first, first + step, ... */
    int y0, rows;    /* rows of each frame */
    double latency_sum;
};

static void encode(struct part *p, int f)
{
    const uint8_t *out;
    size_t size;
    char *err = NULL;
    if (jpeg_encoder_encode(p->enc, frames[f % 8] + (size_t)p->y0 * W * 4, W, p->rows, W * 4, Q,
                            JPEG_SUBSAMPLING_420, &out, &size, &err) != 0) {
        fprintf(stderr, "jpeg-parallel: %s\n", err);
        exit(1);
    }
}

static gpointer run_part(gpointer data)
{
    struct part *p = data;
    for (int f = p->first; f < n_frames; f += p->step) {
        double t0 = now();
        encode(p, f);
        p->latency_sum += now() - t0;
    }
    return NULL;
}

/* Slices: both threads take each frame together; a barrier per frame. */
struct slice_sync {
    GMutex lock;
    GCond cond;
    int frame, done;
};
static struct slice_sync sync_;

struct slice_worker {
    struct part part;
    bool leader;
};

static gpointer run_slice(gpointer data)
{
    struct slice_worker *w = data;
    for (int f = 0; f < n_frames; f++) {
        encode(&w->part, f);
        g_mutex_lock(&sync_.lock);
        sync_.done++;
        g_cond_broadcast(&sync_.cond);
        while (sync_.done < 2 * (f + 1))
            g_cond_wait(&sync_.cond, &sync_.lock);
        g_mutex_unlock(&sync_.lock);
    }
    return NULL;
}

static struct jpeg_encoder *new_encoder(void)
{
    char *err = NULL;
    struct jpeg_encoder *e = jpeg_encoder_create(&err);
    if (!e) {
        fprintf(stderr, "jpeg-parallel: %s\n", err);
        exit(1);
    }
    return e;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: jpeg-parallel WIDTH HEIGHT FRAMES QUALITY\n");
        return 2;
    }
    W = atoi(argv[1]);
    H = atoi(argv[2]);
    n_frames = atoi(argv[3]);
    Q = atoi(argv[4]);
    frames = g_new(uint8_t *, 8);
    for (int i = 0; i < 8; i++) {
        frames[i] = g_malloc((size_t)W * H * 4);
        fill((uint32_t *)frames[i], (unsigned)i);
    }

    /* serial */
    struct part s = {new_encoder(), 0, 1, 0, H, 0};
    double t0 = now(), c0 = cpu_now();
    run_part(&s);
    double t = now() - t0, c = cpu_now() - c0;
    printf("serial %.1f %.2f %.2f\n", n_frames / t, s.latency_sum * 1000 / n_frames,
           c * 1000 / n_frames);

    /* alternating frames */
    struct part a = {new_encoder(), 0, 2, 0, H, 0}, b = {new_encoder(), 1, 2, 0, H, 0};
    t0 = now();
    c0 = cpu_now();
    GThread *ta = g_thread_new("a", run_part, &a), *tb = g_thread_new("b", run_part, &b);
    g_thread_join(ta);
    g_thread_join(tb);
    t = now() - t0;
    c = cpu_now() - c0;
    printf("frames %.1f %.2f %.2f\n", n_frames / t,
           (a.latency_sum + b.latency_sum) * 1000 / n_frames, c * 1000 / n_frames);

    /* horizontal slices: the top half rounded to the 16-row MCU */
    int top = (H / 2 + 15) / 16 * 16;
    struct slice_worker sa = {{a.enc, 0, 1, 0, top, 0}, true};
    struct slice_worker sb = {{b.enc, 0, 1, top, H - top, 0}, false};
    g_mutex_init(&sync_.lock);
    g_cond_init(&sync_.cond);
    t0 = now();
    c0 = cpu_now();
    ta = g_thread_new("sa", run_slice, &sa);
    tb = g_thread_new("sb", run_slice, &sb);
    g_thread_join(ta);
    g_thread_join(tb);
    t = now() - t0;
    c = cpu_now() - c0;
    /* a frame is done when both halves are: its latency is the frame period */
    printf("slices %.1f %.2f %.2f\n", n_frames / t, t * 1000 / n_frames, c * 1000 / n_frames);
    jpeg_encoder_destroy(s.enc);
    jpeg_encoder_destroy(a.enc);
    jpeg_encoder_destroy(b.enc);
    return 0;
}
