#include "client/wav-writer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wav_writer {
    FILE *f;
    size_t data_size;
    int error;
};

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
}

static void header(uint8_t h[44], unsigned rate, unsigned channels, size_t data_size)
{
    uint32_t size = data_size > 0xffffffffu - 36 ? 0xffffffffu - 36 : (uint32_t)data_size;
    memcpy(h, "RIFF", 4);
    le32(h + 4, 36 + size);
    memcpy(h + 8, "WAVEfmt ", 8);
    le32(h + 16, 16);
    le16(h + 20, 1); /* PCM */
    le16(h + 22, (uint16_t)channels);
    le32(h + 24, rate);
    le32(h + 28, rate * channels * 2);
    le16(h + 32, (uint16_t)(channels * 2));
    le16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    le32(h + 40, size);
}

struct wav_writer *wav_writer_create(const char *path, unsigned rate, unsigned channels)
{
    if (rate == 0 || channels == 0 || channels > 8) {
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fopen(path, "w+b");
    if (!f)
        return NULL;
    uint8_t h[44];
    header(h, rate, channels, 0);
    if (fwrite(h, sizeof(h), 1, f) != 1) {
        int e = errno;
        fclose(f);
        errno = e;
        return NULL;
    }
    struct wav_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    w->f = f;
    /* Remember the format in the header we patch later. */
    fseek(f, 0, SEEK_END);
    return w;
}

int wav_writer_write(struct wav_writer *w, const void *data, size_t len)
{
    if (w->error)
        return -w->error;
    if (len && fwrite(data, len, 1, w->f) != 1) {
        w->error = errno ? errno : EIO;
        return -w->error;
    }
    w->data_size += len;
    return 0;
}

size_t wav_writer_data_size(const struct wav_writer *w)
{
    return w->data_size;
}

int wav_writer_destroy(struct wav_writer *w)
{
    if (!w)
        return 0;
    int ret = -w->error;
    uint8_t old[44];
    if (!ret && (fseek(w->f, 0, SEEK_SET) < 0 || fread(old, sizeof(old), 1, w->f) != 1))
        ret = -EIO;
    if (!ret) {
        unsigned channels = old[22] | old[23] << 8;
        unsigned rate = old[24] | old[25] << 8 | old[26] << 16 | (unsigned)old[27] << 24;
        uint8_t h[44];
        header(h, rate, channels, w->data_size);
        if (fseek(w->f, 0, SEEK_SET) < 0 || fwrite(h, sizeof(h), 1, w->f) != 1)
            ret = -EIO;
    }
    if (fclose(w->f) != 0 && !ret)
        ret = -errno;
    free(w);
    return ret;
}
