/* wav-writer: 16-bit PCM into a RIFF WAVE file; the header's sizes are
 * patched when the writer is destroyed. Plain C stdio. */
#pragma once

#include <stddef.h>

struct wav_writer;

/* Creates (truncates) @path. NULL with errno set on failure. */
struct wav_writer *wav_writer_create(const char *path, unsigned rate, unsigned channels);

/* Appends @len bytes of interleaved little-endian S16 samples. 0 or -errno. */
int wav_writer_write(struct wav_writer *w, const void *data, size_t len);

/* Bytes of sample data written so far. */
size_t wav_writer_data_size(const struct wav_writer *w);

/* Patches the header and closes. 0 or -errno (accepts NULL). */
int wav_writer_destroy(struct wav_writer *w);
