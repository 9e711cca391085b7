#include "display/jpeg-encoder.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <turbojpeg.h>

struct jpeg_encoder {
    tjhandle tj;
    unsigned char *buf; /* tjAlloc'd, reused; grows to the worst case of a size */
    unsigned long buf_size;
};

static const int tj_subsamp[] = {
    [JPEG_SUBSAMPLING_420] = TJSAMP_420,
    [JPEG_SUBSAMPLING_422] = TJSAMP_422,
    [JPEG_SUBSAMPLING_444] = TJSAMP_444,
};

const char *jpeg_subsampling_name(enum jpeg_subsampling subsampling)
{
    switch (subsampling) {
    case JPEG_SUBSAMPLING_420:
        return "4:2:0";
    case JPEG_SUBSAMPLING_422:
        return "4:2:2";
    case JPEG_SUBSAMPLING_444:
        return "4:4:4";
    }
    return "?";
}

struct jpeg_encoder *jpeg_encoder_create(char **ret_error)
{
    tjhandle tj = tjInitCompress();
    if (!tj) {
        *ret_error = g_strdup_printf("cannot start the JPEG encoder: %s", tjGetErrorStr2(NULL));
        return NULL;
    }
    struct jpeg_encoder *enc = g_new0(struct jpeg_encoder, 1);
    enc->tj = tj;
    return enc;
}

void jpeg_encoder_destroy(struct jpeg_encoder *enc)
{
    if (!enc)
        return;
    tjFree(enc->buf);
    tjDestroy(enc->tj);
    g_free(enc);
}

int jpeg_encoder_encode(struct jpeg_encoder *enc, const uint8_t *pixels, int width, int height,
                        int stride, int quality, enum jpeg_subsampling subsampling,
                        const uint8_t **ret_data, size_t *ret_size, char **ret_error)
{
    if (width <= 0 || height <= 0 || stride < width * 4 || quality < 1 || quality > 100 ||
        (unsigned)subsampling >= G_N_ELEMENTS(tj_subsamp)) {
        *ret_error = g_strdup_printf("cannot encode a %dx%d frame (stride %d) at quality %d", width,
                                     height, stride, quality);
        return -EINVAL;
    }
    int samp = tj_subsamp[subsampling];
    unsigned long need = tjBufSize(width, height, samp);
    if (need == (unsigned long)-1 || need > INT_MAX) {
        *ret_error = g_strdup_printf("cannot size a JPEG of %dx%d: %s", width, height,
                                     tjGetErrorStr2(enc->tj));
        return -EINVAL;
    }
    if (enc->buf_size < need) {
        tjFree(enc->buf);
        enc->buf = tjAlloc((int)need);
        enc->buf_size = enc->buf ? need : 0;
        if (!enc->buf) {
            *ret_error = g_strdup_printf("cannot allocate %lu bytes for a JPEG", need);
            return -ENOMEM;
        }
    }
    unsigned char *out = enc->buf;
    unsigned long out_size = enc->buf_size;
    if (tjCompress2(enc->tj, pixels, width, stride, height, TJPF_BGRX, &out, &out_size, samp,
                    quality, TJFLAG_NOREALLOC) != 0) {
        *ret_error = g_strdup_printf("JPEG encoding of a %dx%d frame failed: %s", width, height,
                                     tjGetErrorStr2(enc->tj));
        return -EIO;
    }
    *ret_data = out;
    *ret_size = out_size;
    return 0;
}
