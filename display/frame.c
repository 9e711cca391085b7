#include "display/frame.h"

#include <glib.h>

struct frame *frame_new(size_t size)
{
    struct frame *frame = g_new0(struct frame, 1);
    frame->data = g_malloc(size ? size : 1);
    frame->size = size;
    frame->refs = 1;
    return frame;
}

struct frame *frame_new_wrapped(uint8_t *data, size_t size, frame_release_fn release,
                                void *release_data)
{
    struct frame *frame = g_new0(struct frame, 1);
    frame->data = data;
    frame->size = size;
    frame->release = release;
    frame->release_data = release_data;
    frame->refs = 1;
    return frame;
}

struct frame *frame_ref(struct frame *frame)
{
    g_atomic_int_inc(&frame->refs);
    return frame;
}

void frame_unref(struct frame *frame)
{
    if (!frame || !g_atomic_int_dec_and_test(&frame->refs))
        return;
    if (frame->release)
        frame->release(frame, frame->release_data);
    else
        g_free(frame->data);
    g_free(frame);
}
