/* web-tile-encode: the browser client's lossless tile encodings of one image,
 * with the agent's encoder (display/png-encoder), for bench_web_tiles.py.
 *
 *   web-tile-encode RAW_RGB WIDTH HEIGHT OUT_PREFIX
 *
 * Writes OUT_PREFIX.png and OUT_PREFIX.deflate and prints, per format,
 * "FORMAT bytes=N encode_ms=M" (median of 9 encodes). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "display/png-encoder.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: web-tile-encode RAW_RGB WIDTH HEIGHT OUT_PREFIX\n");
        return 2;
    }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    gchar *rgb;
    gsize len;
    if (!g_file_get_contents(argv[1], &rgb, &len, NULL) || len != (gsize)w * h * 3) {
        fprintf(stderr, "web-tile-encode: %s is not %dx%d RGB\n", argv[1], w, h);
        return 1;
    }
    uint8_t *bgrx = g_malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        bgrx[4 * i] = (uint8_t)rgb[3 * i + 2];
        bgrx[4 * i + 1] = (uint8_t)rgb[3 * i + 1];
        bgrx[4 * i + 2] = (uint8_t)rgb[3 * i];
        bgrx[4 * i + 3] = 0;
    }
    struct png_encoder *enc = png_encoder_create(1);
    const struct {
        enum png_encoder_format f;
        const char *name, *ext;
    } formats[] = {{PNG_ENCODER_PNG, "png", "png"}, {PNG_ENCODER_DEFLATE_BGRX, "deflate", "deflate"}};
    for (size_t k = 0; k < G_N_ELEMENTS(formats); k++) {
        double ms[9];
        const uint8_t *out = NULL;
        size_t size = 0;
        for (int r = 0; r < 9; r++) {
            gint64 t0 = g_get_monotonic_time();
            if (png_encoder_encode(enc, formats[k].f, bgrx, w, h, w * 4, &out, &size) < 0)
                return 1;
            ms[r] = (g_get_monotonic_time() - t0) / 1000.0;
        }
        qsort(ms, 9, sizeof(double), cmp);
        g_autofree char *path = g_strdup_printf("%s.%s", argv[4], formats[k].ext);
        if (!g_file_set_contents(path, (const char *)out, (gssize)size, NULL))
            return 1;
        printf("%s bytes=%zu encode_ms=%.2f\n", formats[k].name, size, ms[4]);
    }
    png_encoder_destroy(enc);
    g_free(bgrx);
    g_free(rgb);
    return 0;
}
