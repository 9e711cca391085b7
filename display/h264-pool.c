#include "display/h264-pool.h"

#include <time.h>
#include "display/thread-cpu.h"

/* Shared with results on their way back: the pool may be gone when one
 * arrives. @dead and @in_flight are main-thread only. */
struct pool_core {
    int refs; /* atomic */
    bool dead;
    int in_flight;
    h264_pool_done_fn done;
    void *user_data;
};

struct h264_pool {
    struct pool_core *core;
    GMainContext *context;
    GThreadPool *thread;
    /* Worker only. */
    struct h264_encoder *enc;
    /* Set on the main loop, applied by the worker (atomic). */
    int bitrate_kbps;
    int fps;
    int keyframe_due;
};

struct job {
    struct pool_core *core;
    struct frame *frame;
    int stride;
    struct h264_pool_result r;
};

static void core_unref(struct pool_core *core)
{
    if (g_atomic_int_dec_and_test(&core->refs))
        g_free(core);
}

static void job_free(gpointer data)
{
    struct job *job = data;
    if (job->r.au)
        g_bytes_unref(job->r.au);
    g_free(job->r.error);
    core_unref(job->core);
    g_free(job);
}

static gboolean deliver(gpointer data)
{
    struct job *job = data;
    struct pool_core *core = job->core;
    if (!core->dead) {
        core->in_flight--;
        core->done(&job->r, core->user_data);
    }
    return G_SOURCE_REMOVE;
}

/* Makes the encoder for @job's size, or keeps the one there is. */
static bool ensure_encoder(struct h264_pool *pool, struct job *job)
{
    if (pool->enc) {
        int w, h;
        h264_encoder_get_size(pool->enc, &w, &h);
        if (w == job->r.width && h == job->r.height)
            return true;
        h264_encoder_destroy(pool->enc);
        pool->enc = NULL;
    }
    pool->enc =
        h264_encoder_create(job->r.width, job->r.height, g_atomic_int_get(&pool->bitrate_kbps),
                            g_atomic_int_get(&pool->fps), &job->r.error);
    return pool->enc != NULL;
}

static void work(gpointer data, gpointer user_data)
{
    struct job *job = data;
    struct h264_pool *pool = user_data;
    int64_t cpu0 = thread_cpu_us(), t0 = g_get_monotonic_time();
    if (ensure_encoder(pool, job)) {
        int kbps = g_atomic_int_get(&pool->bitrate_kbps);
        if (kbps != h264_encoder_bitrate(pool->enc))
            h264_encoder_set_bitrate(pool->enc, kbps);
        int fps = g_atomic_int_get(&pool->fps);
        if (fps != h264_encoder_fps(pool->enc))
            h264_encoder_set_fps(pool->enc, fps);
        if (g_atomic_int_compare_and_exchange(&pool->keyframe_due, 1, 0))
            h264_encoder_request_keyframe(pool->enc);
        const uint8_t *au;
        size_t size;
        if (h264_encoder_encode(pool->enc, job->frame->data, job->stride, job->r.kind, &au, &size,
                                &job->r.keyframe, &job->r.error) == 0)
            job->r.au = g_bytes_new(au, size);
        else if (!job->r.error)
            job->r.error = g_strdup("H.264: bad frame for the encoder");
    }
    frame_unref(job->frame);
    job->frame = NULL;
    job->r.encode_cpu_us = thread_cpu_us() - cpu0;
    job->r.done_us = g_get_monotonic_time();
    job->r.encode_us = job->r.done_us - t0;
    g_main_context_invoke_full(pool->context, G_PRIORITY_DEFAULT, deliver, job, job_free);
}

struct h264_pool *h264_pool_create(int bitrate_kbps, int fps, h264_pool_done_fn done,
                                   void *user_data)
{
    struct h264_pool *pool = g_new0(struct h264_pool, 1);
    pool->core = g_new0(struct pool_core, 1);
    pool->core->refs = 1;
    pool->core->done = done;
    pool->core->user_data = user_data;
    pool->bitrate_kbps = bitrate_kbps;
    pool->fps = fps;
    pool->context = g_main_context_ref_thread_default();
    pool->thread = g_thread_pool_new(work, pool, 1, TRUE, NULL);
    return pool;
}

void h264_pool_destroy(struct h264_pool *pool)
{
    if (!pool)
        return;
    pool->core->dead = true;
    g_thread_pool_free(pool->thread, FALSE, TRUE); /* the worker finishes its jobs */
    h264_encoder_destroy(pool->enc);
    g_main_context_unref(pool->context);
    core_unref(pool->core);
    g_free(pool);
}

void h264_pool_submit(struct h264_pool *pool, struct frame *frame, int width, int height,
                      int stride, enum h264_frame_kind kind, uint64_t seq)
{
    struct job *job = g_new0(struct job, 1);
    job->core = pool->core;
    g_atomic_int_inc(&pool->core->refs);
    job->frame = frame_ref(frame);
    job->stride = stride;
    job->r.seq = seq;
    job->r.width = width;
    job->r.height = height;
    job->r.kind = kind;
    job->r.submitted_us = g_get_monotonic_time();
    pool->core->in_flight++;
    g_thread_pool_push(pool->thread, job, NULL);
}

void h264_pool_request_keyframe(struct h264_pool *pool)
{
    g_atomic_int_set(&pool->keyframe_due, 1);
}

void h264_pool_set_bitrate(struct h264_pool *pool, int bitrate_kbps)
{
    g_atomic_int_set(&pool->bitrate_kbps,
                     CLAMP(bitrate_kbps, H264_ENCODER_MIN_KBPS, H264_ENCODER_MAX_KBPS));
}

void h264_pool_set_fps(struct h264_pool *pool, int fps)
{
    g_atomic_int_set(&pool->fps, CLAMP(fps, 1, H264_ENCODER_MAX_FPS));
}

int h264_pool_bitrate(const struct h264_pool *pool)
{
    return g_atomic_int_get(&pool->bitrate_kbps);
}

int h264_pool_in_flight(const struct h264_pool *pool)
{
    return pool->core->in_flight;
}
