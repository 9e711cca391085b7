/* jpeg-stitch: joins JPEGs of horizontal slices of one picture into one JPEG.
 *
 * Slice i holds rows [i * slice_height, ...) of the picture, encoded alone by
 * the same encoder settings (quality, subsampling, standard Huffman tables);
 * every slice but the last is a whole number of MCU rows high. The result is
 * slice 0's headers with the full height and a restart interval of one
 * slice, then each slice's entropy-coded data separated by restart markers:
 * a decoder sees exactly the coefficients a single-pass encode would give.
 * Plain C; the inputs are our own encoder's output, checked nonetheless. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "display/jpeg-encoder.h"

/* MCU height of a subsampling: the slice height must be a multiple of it. */
int jpeg_stitch_mcu_height(enum jpeg_subsampling subsampling);

/* Writes the joined JPEG into @out (at least the sum of the slice sizes + 16
 * bytes) and returns its size, or 0 when a slice is not a baseline JPEG of
 * @width columns or the slices do not fit together. */
size_t jpeg_stitch(const uint8_t *const *slices, const size_t *sizes, int n, int width, int height,
                   int slice_height, enum jpeg_subsampling subsampling, uint8_t *out,
                   size_t out_size);
