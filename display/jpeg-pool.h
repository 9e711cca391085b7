/* jpeg-pool: JPEG encoding on worker threads.
 *
 * A GThreadPool whose threads each keep one long-lived jpeg_encoder. Each
 * frame is cut into one horizontal slice per worker; the slices are encoded
 * at once and joined into one JPEG with restart markers (jpeg-stitch), so a
 * frame is ready in about 1/threads of the time one thread would take
 * (measured better than alternating whole frames between the workers, see
 * display/VIDEO.md). Results come back on the main context of the creator
 * as idle sources of its context, in completion order: the consumer drops a
 * result older than one it already used. Create, submit and destroy run on
 * the main loop. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "display/frame.h"
#include "display/jpeg-encoder.h"

struct jpeg_pool;

struct jpeg_pool_result {
    uint64_t seq; /* as given to submit */
    GBytes *jpeg; /* NULL on error; the callback may keep a reference */
    char *error;  /* NULL on success; freed after the callback */
    int width, height;
    int quality;
    enum jpeg_subsampling subsampling;
    int64_t submitted_us;  /* g_get_monotonic_time() at submit */
    int64_t encode_cpu_us; /* CPU time of the encode on its worker */
    int64_t done_us;       /* g_get_monotonic_time() when the encode finished */
};

/* Called on the main context for every submitted frame (unless the pool was
 * destroyed first). @result is freed after the call. */
typedef void (*jpeg_pool_done_fn)(const struct jpeg_pool_result *result, void *user_data);

/* @threads workers (0: one per CPU). Returns NULL and sets *ret_error. */
struct jpeg_pool *jpeg_pool_create(int threads, jpeg_pool_done_fn done, void *user_data,
                                   char **ret_error);
/* Waits for running encodes; their results are dropped, and the main
 * context is not run (no other source of the caller's is dispatched).
 * Accepts NULL. */
void jpeg_pool_destroy(struct jpeg_pool *pool);

/* Queues an encode of @frame's first @height rows of @stride bytes. Takes a
 * reference to @frame, released on the worker once encoded. */
void jpeg_pool_submit(struct jpeg_pool *pool, struct frame *frame, int width, int height,
                      int stride, int quality, enum jpeg_subsampling subsampling, uint64_t seq);

/* Encodes submitted and not yet delivered. */
int jpeg_pool_in_flight(const struct jpeg_pool *pool);
int jpeg_pool_threads(const struct jpeg_pool *pool);
