#include "display/frame-pool.h"

#include <glib.h>
#include <stdbool.h>

struct pool_buffer {
    struct frame_pool *pool;
    uint8_t *data;
    void *handle;
};

struct frame_pool {
    GMutex lock;
    size_t buffer_size;
    int max_buffers;
    int allocated;            /* buffers that exist, idle or in use */
    GPtrArray *idle;          /* struct pool_buffer *, main thread only */
    GPtrArray *returned;      /* struct pool_buffer *, under lock */
    guint return_source;      /* idle source id, under lock */
    bool retired;             /* destroy() was called */
    const struct frame_pool_allocator *allocator;
    void *user_data;
};

static void free_buffer(struct frame_pool *pool, struct pool_buffer *buf)
{
    pool->allocator->free(buf->data, buf->handle, pool->user_data);
    g_free(buf);
    pool->allocated--;
}

static void pool_free(struct frame_pool *pool)
{
    g_ptr_array_unref(pool->idle);
    g_ptr_array_unref(pool->returned);
    g_mutex_clear(&pool->lock);
    g_free(pool);
}

/* Main thread: take back the buffers that consumers released. */
static gboolean on_returned(gpointer data)
{
    struct frame_pool *pool = data;
    g_mutex_lock(&pool->lock);
    GPtrArray *back = pool->returned;
    pool->returned = g_ptr_array_new();
    pool->return_source = 0;
    bool retired = pool->retired;
    g_mutex_unlock(&pool->lock);

    for (guint i = 0; i < back->len; i++) {
        struct pool_buffer *buf = back->pdata[i];
        if (retired)
            free_buffer(pool, buf);
        else
            g_ptr_array_add(pool->idle, buf);
    }
    g_ptr_array_unref(back);

    if (retired && pool->allocated == 0)
        pool_free(pool);
    return G_SOURCE_REMOVE;
}

/* Any thread: the last reference to a frame went away. */
static void on_frame_release(struct frame *frame, void *data)
{
    struct pool_buffer *buf = data;
    struct frame_pool *pool = buf->pool;
    g_mutex_lock(&pool->lock);
    g_ptr_array_add(pool->returned, buf);
    if (!pool->return_source)
        pool->return_source = g_idle_add_full(G_PRIORITY_HIGH, on_returned, pool, NULL);
    g_mutex_unlock(&pool->lock);
}

struct frame_pool *frame_pool_create(size_t buffer_size, int max_buffers,
                                     const struct frame_pool_allocator *allocator,
                                     void *user_data)
{
    struct frame_pool *pool = g_new0(struct frame_pool, 1);
    g_mutex_init(&pool->lock);
    pool->buffer_size = buffer_size;
    pool->max_buffers = max_buffers > 0 ? max_buffers : 1;
    pool->idle = g_ptr_array_new();
    pool->returned = g_ptr_array_new();
    pool->allocator = allocator;
    pool->user_data = user_data;
    return pool;
}

void frame_pool_destroy(struct frame_pool *pool)
{
    if (!pool)
        return;
    for (guint i = 0; i < pool->idle->len; i++)
        free_buffer(pool, pool->idle->pdata[i]);
    g_ptr_array_set_size(pool->idle, 0);

    g_mutex_lock(&pool->lock);
    pool->retired = true;
    bool pending = pool->return_source != 0;
    g_mutex_unlock(&pool->lock);

    /* Buffers already returned but not yet collected are freed by the pending
     * idle callback; so are those still in use, when they come back. */
    if (!pending && pool->allocated == 0)
        pool_free(pool);
}

struct frame *frame_pool_get(struct frame_pool *pool, void **ret_handle)
{
    struct pool_buffer *buf = NULL;
    if (pool->idle->len > 0) {
        buf = g_ptr_array_steal_index_fast(pool->idle, pool->idle->len - 1);
    } else if (pool->allocated < pool->max_buffers) {
        void *handle = NULL;
        uint8_t *data = pool->allocator->alloc(pool->buffer_size, &handle, pool->user_data);
        if (!data)
            return NULL;
        buf = g_new0(struct pool_buffer, 1);
        buf->pool = pool;
        buf->data = data;
        buf->handle = handle;
        pool->allocated++;
    } else {
        return NULL;
    }
    if (ret_handle)
        *ret_handle = buf->handle;
    return frame_new_wrapped(buf->data, pool->buffer_size, on_frame_release, buf);
}

size_t frame_pool_buffer_size(const struct frame_pool *pool)
{
    return pool->buffer_size;
}

int frame_pool_in_use(struct frame_pool *pool)
{
    return pool->allocated - (int)pool->idle->len;
}
