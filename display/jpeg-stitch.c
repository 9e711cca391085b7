#include "display/jpeg-stitch.h"

#include <stdbool.h>
#include <string.h>

int jpeg_stitch_mcu_height(enum jpeg_subsampling subsampling)
{
    return subsampling == JPEG_SUBSAMPLING_420 ? 16 : 8;
}

static int mcu_width(enum jpeg_subsampling subsampling)
{
    return subsampling == JPEG_SUBSAMPLING_444 ? 8 : 16;
}

struct layout {
    size_t sof;      /* offset of the SOF0 marker */
    size_t sos;      /* offset of the SOS marker */
    size_t data;     /* first entropy-coded byte */
    size_t data_end; /* the EOI marker */
    int width, height;
};

/* Finds the parts of a baseline JPEG as TurboJPEG writes it. */
static bool parse(const uint8_t *j, size_t n, struct layout *l)
{
    if (n < 4 || j[0] != 0xff || j[1] != 0xd8 || j[n - 2] != 0xff || j[n - 1] != 0xd9)
        return false;
    size_t p = 2;
    l->sof = 0;
    while (p + 4 <= n) {
        if (j[p] != 0xff)
            return false;
        uint8_t m = j[p + 1];
        size_t len = (size_t)j[p + 2] << 8 | j[p + 3];
        if (len < 2 || p + 2 + len > n)
            return false;
        if (m == 0xdd)
            return false; /* a restart interval already: not ours */
        if (m == 0xc0) {
            if (len < 8)
                return false;
            l->sof = p;
            l->height = j[p + 5] << 8 | j[p + 6];
            l->width = j[p + 7] << 8 | j[p + 8];
        } else if (m >= 0xc1 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            return false; /* not baseline */
        } else if (m == 0xda) {
            if (!l->sof)
                return false;
            l->sos = p;
            l->data = p + 2 + len;
            l->data_end = n - 2;
            return l->data <= l->data_end;
        }
        p += 2 + len;
    }
    return false;
}

size_t jpeg_stitch(const uint8_t *const *slices, const size_t *sizes, int n, int width, int height,
                   int slice_height, enum jpeg_subsampling subsampling, uint8_t *out,
                   size_t out_size)
{
    if (n < 1 || width <= 0 || height <= 0 || slice_height <= 0 ||
        slice_height % jpeg_stitch_mcu_height(subsampling) ||
        (long)(n - 1) * slice_height >= height || (long)n * slice_height < height)
        return 0;
    long interval = (long)((width + mcu_width(subsampling) - 1) / mcu_width(subsampling)) *
                    (slice_height / jpeg_stitch_mcu_height(subsampling));
    if (n > 1 && interval > 0xffff)
        return 0;
    struct layout first;
    if (!parse(slices[0], sizes[0], &first) || first.width != width ||
        first.height != (n == 1 ? height : slice_height))
        return 0;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += sizes[i];
    if (out_size < total + 16)
        return 0;

    /* slice 0 up to its SOS, with the full height and a restart interval */
    size_t o = first.sos;
    memcpy(out, slices[0], o);
    out[first.sof + 5] = (uint8_t)(height >> 8);
    out[first.sof + 6] = (uint8_t)height;
    if (n > 1) {
        const uint8_t dri[] = {0xff, 0xdd, 0, 4, (uint8_t)(interval >> 8), (uint8_t)interval};
        memcpy(out + o, dri, sizeof(dri));
        o += sizeof(dri);
    }
    memcpy(out + o, slices[0] + first.sos, first.data_end - first.sos);
    o += first.data_end - first.sos;
    for (int i = 1; i < n; i++) {
        struct layout l;
        int rows = i == n - 1 ? height - (n - 1) * slice_height : slice_height;
        if (!parse(slices[i], sizes[i], &l) || l.width != width || l.height != rows ||
            l.sof != first.sof || l.sos != first.sos ||
            memcmp(slices[i], slices[0], l.sof + 5) != 0 ||
            memcmp(slices[i] + l.sof + 7, slices[0] + l.sof + 7, l.sos - l.sof - 7) != 0)
            return 0; /* different tables or components: they cannot be joined */
        out[o++] = 0xff;
        out[o++] = (uint8_t)(0xd0 + (i - 1) % 8);
        memcpy(out + o, slices[i] + l.data, l.data_end - l.data);
        o += l.data_end - l.data;
    }
    out[o++] = 0xff;
    out[o++] = 0xd9;
    return o;
}
