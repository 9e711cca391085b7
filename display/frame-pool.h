/* frame-pool: a bounded set of reusable pixel buffers handed out as frames.
 *
 * Capture backends snapshot into pool buffers so that no frame needs a fresh
 * allocation or a copy (the SPICE worker reads the pixels in place). At most
 * @max_buffers are in use at once.
 *
 * Create, get and destroy run on the main loop; frames may be unreffed on any
 * thread. Buffers come back to the main loop through an idle callback, where
 * the allocator's free() also runs. When every buffer is in use, get()
 * returns NULL: the caller falls back to something else rather than wait. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "display/frame.h"

struct frame_pool_allocator {
    /* Returns a buffer of @size bytes or NULL; *ret_handle is passed to free(). */
    uint8_t *(*alloc)(size_t size, void **ret_handle, void *user_data);
    void (*free)(uint8_t *data, void *handle, void *user_data);
};

struct frame_pool;

/* @allocator and @user_data must stay valid until every frame of this pool
 * was released, which may be after frame_pool_destroy(). */
struct frame_pool *frame_pool_create(size_t buffer_size, int max_buffers,
                                     const struct frame_pool_allocator *allocator,
                                     void *user_data);
/* Frees idle buffers now and the ones still in use when they come back.
 * Accepts NULL. */
void frame_pool_destroy(struct frame_pool *pool);

/* Returns a new frame (one reference) of buffer_size bytes, or NULL when every
 * buffer is in use or allocation failed. *ret_handle (optional) receives the
 * allocator's handle of the buffer. */
struct frame *frame_pool_get(struct frame_pool *pool, void **ret_handle);

size_t frame_pool_buffer_size(const struct frame_pool *pool);
int frame_pool_in_use(struct frame_pool *pool);
