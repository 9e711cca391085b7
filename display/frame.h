/* frame: a reference-counted block of captured pixels.
 *
 * A snapshot packs the pixels of one or more rectangles one after another,
 * each as 32-bit BGRX rows of w * 4 bytes. Capture backends hand frames out;
 * consumers (the SPICE worker) keep a reference until the pixels were sent.
 * frame_ref/frame_unref may be called from any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct frame;

typedef void (*frame_release_fn)(struct frame *frame, void *user_data);

struct frame {
    uint8_t *data;
    size_t size;
    /* Called (on whichever thread drops the last reference) instead of freeing;
     * a backend uses it to return pooled memory. NULL: data is g_free'd. */
    frame_release_fn release;
    void *release_data;
    int refs; /* atomic */
};

/* Returns a new frame with one reference, owning @size bytes of fresh memory. */
struct frame *frame_new(size_t size);
/* Returns a new frame with one reference over memory owned by a backend;
 * @release is called when the last reference goes. */
struct frame *frame_new_wrapped(uint8_t *data, size_t size, frame_release_fn release,
                                void *release_data);
struct frame *frame_ref(struct frame *frame);
void frame_unref(struct frame *frame);
