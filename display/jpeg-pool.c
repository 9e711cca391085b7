#include "display/jpeg-pool.h"

#include <time.h>

#include "display/jpeg-stitch.h"
#include "display/thread-cpu.h"

/* Shared between the pool's owner and jobs still on their way back: the owner
 * may be gone when a result arrives. Main thread only, except refs and
 * deliveries. */
struct pool_core {
    int refs; /* atomic */
    bool dead;
    int in_flight;
    jpeg_pool_done_fn done;
    void *user_data;
    GMainContext *context;
    GMutex lock;           /* guards deliveries */
    GPtrArray *deliveries; /* GSource* attached and not yet dispatched (a reference each) */
};

struct jpeg_pool {
    struct pool_core *core;
    GThreadPool *threads;
    int n_threads;
};

#define MAX_SLICES 16

/* One frame: its slices are encoded by the workers at once; the last
 * worker to finish joins them and sends the result to the main context. */
struct job {
    struct pool_core *core;
    struct frame *frame;
    int stride;
    int n_slices, slice_height;
    int remaining; /* atomic: slices not yet encoded */
    uint8_t *parts[MAX_SLICES];
    size_t sizes[MAX_SLICES];
    int64_t cpu_us[MAX_SLICES];
    char *errors[MAX_SLICES];
    struct jpeg_pool_result r;
    GSource *delivery; /* brings @r to the main context */
};

struct slice_task {
    struct job *job;
    int index;
};

static void encoder_free(gpointer data)
{
    jpeg_encoder_destroy(data);
}

/* One encoder per worker thread, created on its first job. */
static GPrivate worker_encoder = G_PRIVATE_INIT(encoder_free);

static void core_unref(struct pool_core *core)
{
    if (g_atomic_int_dec_and_test(&core->refs)) {
        g_ptr_array_unref(core->deliveries);
        g_mutex_clear(&core->lock);
        g_main_context_unref(core->context);
        g_free(core);
    }
}

/* The delivery's destroy notify: after deliver(), or when the pool is
 * destroyed before it ran. */
static void job_free(gpointer data)
{
    struct job *job = data;
    struct pool_core *core = job->core;
    if (job->r.jpeg)
        g_bytes_unref(job->r.jpeg);
    g_free(job->r.error);
    core_unref(core);
    g_free(job);
}

static gboolean deliver(gpointer data)
{
    struct job *job = data;
    struct pool_core *core = job->core;
    g_mutex_lock(&core->lock);
    g_ptr_array_remove_fast(core->deliveries, job->delivery);
    g_mutex_unlock(&core->lock);
    g_source_unref(job->delivery); /* the context keeps it while it dispatches */
    if (!core->dead) {
        core->in_flight--;
        core->done(&job->r, core->user_data);
    }
    return G_SOURCE_REMOVE;
}

/* Runs on the worker that encoded the last slice. */
static void finish(struct job *job)
{
    size_t total = 0;
    for (int i = 0; i < job->n_slices; i++) {
        job->r.encode_cpu_us += job->cpu_us[i];
        if (job->errors[i] && !job->r.error)
            job->r.error = g_steal_pointer(&job->errors[i]);
        g_free(job->errors[i]);
        total += job->sizes[i];
    }
    if (!job->r.error && job->n_slices == 1) {
        job->r.jpeg = g_bytes_new_take(job->parts[0], job->sizes[0]);
        job->parts[0] = NULL;
    } else if (!job->r.error) {
        uint8_t *out = g_malloc(total + 16);
        size_t n =
            jpeg_stitch((const uint8_t *const *)job->parts, job->sizes, job->n_slices, job->r.width,
                        job->r.height, job->slice_height, job->r.subsampling, out, total + 16);
        if (n) {
            job->r.jpeg = g_bytes_new_take(out, n);
        } else {
            g_free(out);
            job->r.error = g_strdup_printf("cannot join the %d JPEG slices of a %dx%d frame",
                                           job->n_slices, job->r.width, job->r.height);
        }
    }
    for (int i = 0; i < job->n_slices; i++)
        g_free(job->parts[i]);
    frame_unref(job->frame);
    job->frame = NULL;
    job->r.done_us = g_get_monotonic_time();
    /* Not g_main_context_invoke(): a worker's thread-default context is the
     * global default too, so whenever the main thread is outside its loop
     * invoke would acquire the context and run deliver() right here, on the
     * worker. An idle source is always dispatched by the loop's thread. */
    struct pool_core *core = job->core;
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, deliver, job, job_free);
    job->delivery = source;
    /* Listed before it is attached: deliver() may run as soon as it is. */
    g_mutex_lock(&core->lock);
    g_ptr_array_add(core->deliveries, source);
    g_mutex_unlock(&core->lock);
    g_source_attach(source, core->context);
}

static void work(gpointer data, gpointer pool_data)
{
    struct slice_task *task = data;
    struct job *job = task->job;
    int i = task->index;
    g_free(task);
    struct jpeg_encoder *enc = g_private_get(&worker_encoder);
    if (!enc) {
        enc = jpeg_encoder_create(&job->errors[i]);
        if (enc)
            g_private_set(&worker_encoder, enc);
    }
    if (enc) {
        int y = i * job->slice_height;
        int rows = MIN(job->slice_height, job->r.height - y);
        int64_t cpu0 = thread_cpu_us();
        const uint8_t *out;
        size_t size;
        if (jpeg_encoder_encode(enc, job->frame->data + (size_t)y * job->stride, job->r.width, rows,
                                job->stride, job->r.quality, job->r.subsampling, &out, &size,
                                &job->errors[i]) == 0) {
            job->parts[i] = g_memdup2(out, size);
            job->sizes[i] = size;
        }
        job->cpu_us[i] = thread_cpu_us() - cpu0;
    }
    if (g_atomic_int_dec_and_test(&job->remaining))
        finish(job);
}

struct jpeg_pool *jpeg_pool_create(int threads, jpeg_pool_done_fn done, void *user_data,
                                   char **ret_error)
{
    if (threads <= 0)
        threads = (int)g_get_num_processors();
    GError *gerr = NULL;
    GThreadPool *tp = g_thread_pool_new(work, NULL, threads, TRUE, &gerr);
    if (!tp) {
        *ret_error =
            g_strdup_printf("cannot start %d JPEG encoder threads: %s", threads, gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    struct jpeg_pool *pool = g_new0(struct jpeg_pool, 1);
    pool->core = g_new0(struct pool_core, 1);
    pool->core->refs = 1;
    pool->core->done = done;
    pool->core->user_data = user_data;
    pool->core->context = g_main_context_ref_thread_default();
    g_mutex_init(&pool->core->lock);
    pool->core->deliveries = g_ptr_array_new();
    pool->threads = tp;
    pool->n_threads = threads;
    return pool;
}

void jpeg_pool_destroy(struct jpeg_pool *pool)
{
    if (!pool)
        return;
    struct pool_core *core = pool->core;
    core->dead = true;
    g_thread_pool_free(pool->threads, FALSE, TRUE);
    /* Every job is done, and the results not yet delivered wait in sources
     * on the context: destroy them (job_free) rather than run the context,
     * which would dispatch any other source of the caller's loop in the
     * middle of its teardown. */
    g_mutex_lock(&core->lock);
    g_autoptr(GPtrArray) left = g_steal_pointer(&core->deliveries);
    core->deliveries = g_ptr_array_new();
    g_mutex_unlock(&core->lock);
    for (guint i = 0; i < left->len; i++) {
        GSource *source = g_ptr_array_index(left, i);
        g_source_destroy(source);
        g_source_unref(source);
    }
    core_unref(core);
    g_free(pool);
}

void jpeg_pool_submit(struct jpeg_pool *pool, struct frame *frame, int width, int height,
                      int stride, int quality, enum jpeg_subsampling subsampling, uint64_t seq)
{
    struct job *job = g_new0(struct job, 1);
    job->core = pool->core;
    g_atomic_int_inc(&pool->core->refs);
    job->frame = frame_ref(frame);
    job->stride = stride;
    job->r.seq = seq;
    job->r.width = width;
    job->r.height = height;
    job->r.quality = quality;
    job->r.subsampling = subsampling;
    job->r.submitted_us = g_get_monotonic_time();
    /* One slice per worker, each a whole number of MCU rows. */
    int mcu = jpeg_stitch_mcu_height(subsampling);
    int n = MIN(MIN(pool->n_threads, MAX_SLICES), MAX(1, height / mcu));
    job->slice_height = ((height + n - 1) / n + mcu - 1) / mcu * mcu;
    job->n_slices = (height + job->slice_height - 1) / job->slice_height;
    job->remaining = job->n_slices;
    pool->core->in_flight++;
    for (int i = 0; i < job->n_slices; i++) {
        struct slice_task *task = g_new(struct slice_task, 1);
        task->job = job;
        task->index = i;
        g_thread_pool_push(pool->threads, task, NULL);
    }
}

int jpeg_pool_in_flight(const struct jpeg_pool *pool)
{
    return pool->core->in_flight;
}

int jpeg_pool_threads(const struct jpeg_pool *pool)
{
    return pool->n_threads;
}
