/* pcm-fifo: a bounded queue of interleaved stereo S16 frames (one uint32_t
 * per frame) between a sound source and a consumer that takes fixed-size
 * chunks. When a push would exceed the capacity, the oldest frames are
 * dropped: audio stays live instead of falling behind. Not thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct pcm_fifo;

/* Returns NULL when @capacity is 0. */
struct pcm_fifo *pcm_fifo_create(size_t capacity);
void pcm_fifo_destroy(struct pcm_fifo *fifo);

/* Appends @n frames; returns how many old frames were dropped to make room
 * (when @n alone exceeds the capacity, only its newest frames are kept). */
size_t pcm_fifo_push(struct pcm_fifo *fifo, const uint32_t *frames, size_t n);
/* Copies up to @n of the oldest frames to @out and removes them; returns the
 * count copied. */
size_t pcm_fifo_pop(struct pcm_fifo *fifo, uint32_t *out, size_t n);
size_t pcm_fifo_length(const struct pcm_fifo *fifo);
size_t pcm_fifo_capacity(const struct pcm_fifo *fifo);
void pcm_fifo_clear(struct pcm_fifo *fifo);
