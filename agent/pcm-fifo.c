#include "agent/pcm-fifo.h"

#include <glib.h>
#include <string.h>

struct pcm_fifo {
    uint32_t *ring;
    size_t capacity;
    size_t head; /* index of the oldest frame */
    size_t length;
};

struct pcm_fifo *pcm_fifo_create(size_t capacity)
{
    if (capacity == 0)
        return NULL;
    struct pcm_fifo *f = g_new0(struct pcm_fifo, 1);
    f->ring = g_new(uint32_t, capacity);
    f->capacity = capacity;
    return f;
}

void pcm_fifo_destroy(struct pcm_fifo *f)
{
    if (!f)
        return;
    g_free(f->ring);
    g_free(f);
}

static void drop_oldest(struct pcm_fifo *f, size_t n)
{
    f->head = (f->head + n) % f->capacity;
    f->length -= n;
}

size_t pcm_fifo_push(struct pcm_fifo *f, const uint32_t *frames, size_t n)
{
    size_t dropped = 0;
    if (n > f->capacity) {
        dropped = n - f->capacity;
        frames += dropped;
        n = f->capacity;
    }
    size_t room = f->capacity - f->length;
    if (n > room) {
        dropped += n - room;
        drop_oldest(f, n - room);
    }
    size_t tail = (f->head + f->length) % f->capacity;
    size_t first = MIN(n, f->capacity - tail);
    memcpy(f->ring + tail, frames, first * sizeof(uint32_t));
    memcpy(f->ring, frames + first, (n - first) * sizeof(uint32_t));
    f->length += n;
    return dropped;
}

size_t pcm_fifo_pop(struct pcm_fifo *f, uint32_t *out, size_t n)
{
    n = MIN(n, f->length);
    size_t first = MIN(n, f->capacity - f->head);
    memcpy(out, f->ring + f->head, first * sizeof(uint32_t));
    memcpy(out + first, f->ring, (n - first) * sizeof(uint32_t));
    drop_oldest(f, n);
    return n;
}

size_t pcm_fifo_length(const struct pcm_fifo *f)
{
    return f->length;
}

size_t pcm_fifo_capacity(const struct pcm_fifo *f)
{
    return f->capacity;
}

void pcm_fifo_clear(struct pcm_fifo *f)
{
    f->head = 0;
    f->length = 0;
}
