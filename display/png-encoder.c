#include "display/png-encoder.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

struct png_encoder {
    int level;
    z_stream z;
    bool ready;
    uint8_t *out;
    size_t out_cap;
    uint8_t *row; /* one filtered row: filter byte + RGB */
    size_t row_cap;
};

struct png_encoder *png_encoder_create(int level)
{
    struct png_encoder *enc = g_new0(struct png_encoder, 1);
    enc->level = level < 1 ? 1 : level > 9 ? 9 : level;
    if (deflateInit(&enc->z, enc->level) != Z_OK) {
        g_free(enc);
        return NULL;
    }
    enc->ready = true;
    return enc;
}

void png_encoder_destroy(struct png_encoder *enc)
{
    if (!enc)
        return;
    if (enc->ready)
        deflateEnd(&enc->z);
    g_free(enc->out);
    g_free(enc->row);
    g_free(enc);
}

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static bool reserve(struct png_encoder *enc, size_t need)
{
    if (need <= enc->out_cap)
        return true;
    size_t cap = enc->out_cap ? enc->out_cap : 65536;
    while (cap < need)
        cap *= 2;
    uint8_t *p = g_try_realloc(enc->out, cap);
    if (!p)
        return false;
    enc->out = p;
    enc->out_cap = cap;
    return true;
}

/* Feeds @len bytes to zlib, appending its output at enc->out + *pos. */
static int feed(struct png_encoder *enc, const uint8_t *data, size_t len, int flush, size_t *pos)
{
    enc->z.next_in = (Bytef *)data;
    enc->z.avail_in = (uInt)len;
    for (;;) {
        if (!reserve(enc, *pos + 65536 + 16))
            return -ENOMEM;
        enc->z.next_out = enc->out + *pos;
        enc->z.avail_out = (uInt)(enc->out_cap - *pos - 16);
        int rc = deflate(&enc->z, flush);
        *pos = (size_t)(enc->z.next_out - enc->out);
        if (rc == Z_STREAM_END)
            return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -EIO;
        if (enc->z.avail_in == 0 && enc->z.avail_out > 0 && flush == Z_NO_FLUSH)
            return 0;
    }
}

static void chunk_end(struct png_encoder *enc, size_t start, size_t *pos)
{
    /* start: offset of the chunk's length field */
    uint32_t len = (uint32_t)(*pos - start - 8);
    put32be(enc->out + start, len);
    uint32_t crc = (uint32_t)crc32(0, enc->out + start + 4, len + 4);
    put32be(enc->out + *pos, crc);
    *pos += 4;
}

int png_encoder_encode(struct png_encoder *enc, enum png_encoder_format format,
                       const uint8_t *pixels, int width, int height, int stride,
                       const uint8_t **ret_data, size_t *ret_size)
{
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384 || stride < width * 4)
        return -EINVAL;
    if (deflateReset(&enc->z) != Z_OK)
        return -EIO;
    size_t pos = 0;
    size_t idat = 0;
    if (format == PNG_ENCODER_PNG) {
        if (!reserve(enc, 8 + 25 + 8))
            return -ENOMEM;
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        memcpy(enc->out, sig, 8);
        pos = 8;
        size_t ihdr = pos;
        memcpy(enc->out + pos + 4, "IHDR", 4);
        pos += 8;
        put32be(enc->out + pos, (uint32_t)width);
        put32be(enc->out + pos + 4, (uint32_t)height);
        enc->out[pos + 8] = 8;  /* bit depth */
        enc->out[pos + 9] = 2;  /* truecolour RGB */
        enc->out[pos + 10] = 0; /* deflate */
        enc->out[pos + 11] = 0; /* adaptive filtering */
        enc->out[pos + 12] = 0; /* no interlace */
        pos += 13;
        chunk_end(enc, ihdr, &pos);
        idat = pos;
        memcpy(enc->out + pos + 4, "IDAT", 4);
        pos += 8;
        size_t row_len = 1 + (size_t)width * 3;
        if (row_len > enc->row_cap) {
            g_free(enc->row);
            enc->row = g_malloc(row_len);
            enc->row_cap = row_len;
        }
        for (int y = 0; y < height; y++) {
            const uint8_t *src = pixels + (size_t)y * stride;
            uint8_t *r = enc->row;
            r[0] = 1; /* Sub: each byte minus the one a pixel to its left */
            uint8_t pr = 0, pg = 0, pb = 0;
            for (int x = 0; x < width; x++) {
                uint8_t b = src[4 * x], g = src[4 * x + 1], rr = src[4 * x + 2];
                r[1 + 3 * x] = (uint8_t)(rr - pr);
                r[2 + 3 * x] = (uint8_t)(g - pg);
                r[3 + 3 * x] = (uint8_t)(b - pb);
                pr = rr, pg = g, pb = b;
            }
            int rc = feed(enc, r, row_len, Z_NO_FLUSH, &pos);
            if (rc < 0)
                return rc;
        }
    } else {
        for (int y = 0; y < height; y++) {
            int rc = feed(enc, pixels + (size_t)y * stride, (size_t)width * 4, Z_NO_FLUSH, &pos);
            if (rc < 0)
                return rc;
        }
    }
    int rc = feed(enc, NULL, 0, Z_FINISH, &pos);
    if (rc < 0)
        return rc;
    if (format == PNG_ENCODER_PNG) {
        if (!reserve(enc, pos + 4 + 12))
            return -ENOMEM;
        chunk_end(enc, idat, &pos);
        size_t iend = pos;
        memcpy(enc->out + pos + 4, "IEND", 4);
        pos += 8;
        chunk_end(enc, iend, &pos);
    }
    *ret_data = enc->out;
    *ret_size = pos;
    return 0;
}
