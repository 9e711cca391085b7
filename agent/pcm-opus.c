#include "agent/pcm-opus.h"

#include <errno.h>
#include <glib.h>
#include <opus.h>
#include <string.h>

struct pcm_opus_encoder {
    OpusEncoder *enc;
    pcm_opus_packet_fn fn;
    void *user_data;
    uint32_t pending[PCM_OPUS_FRAME]; /* a partial frame */
    size_t n_pending;
    uint32_t timestamp; /* of pending[0] */
    uint64_t packets;
};

struct pcm_opus_encoder *pcm_opus_encoder_create(int bitrate, pcm_opus_packet_fn fn,
                                                 void *user_data, char **ret_error)
{
    int err = 0;
    OpusEncoder *enc =
        opus_encoder_create(PCM_OPUS_RATE, 2, OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
    if (!enc) {
        *ret_error = g_strdup_printf("cannot create an Opus encoder: %s", opus_strerror(err));
        return NULL;
    }
    if (opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK) {
        *ret_error = g_strdup_printf("Opus refuses the bitrate %d bit/s", bitrate);
        opus_encoder_destroy(enc);
        return NULL;
    }
    struct pcm_opus_encoder *e = g_new0(struct pcm_opus_encoder, 1);
    e->enc = enc;
    e->fn = fn;
    e->user_data = user_data;
    return e;
}

void pcm_opus_encoder_destroy(struct pcm_opus_encoder *e)
{
    if (!e)
        return;
    opus_encoder_destroy(e->enc);
    g_free(e);
}

static int encode_frame(struct pcm_opus_encoder *e, const uint32_t *frame)
{
    unsigned char packet[PCM_OPUS_MAX_PACKET];
    /* A uint32_t frame holds the left then the right S16 sample in memory:
     * interleaved stereo, as Opus takes it. */
    opus_int32 len =
        opus_encode(e->enc, (const opus_int16 *)frame, PCM_OPUS_FRAME, packet, sizeof(packet));
    uint32_t ts = e->timestamp;
    e->timestamp += PCM_OPUS_FRAME;
    if (len < 0) {
        g_debug("audio: Opus could not encode 20 ms: %s", opus_strerror(len));
        return -EIO;
    }
    e->packets++;
    e->fn(packet, (size_t)len, ts, e->user_data);
    return 0;
}

int pcm_opus_encoder_feed(struct pcm_opus_encoder *e, const uint32_t *frames, size_t n)
{
    int rc = 0;
    while (n > 0) {
        if (e->n_pending == 0 && n >= PCM_OPUS_FRAME) {
            if (encode_frame(e, frames) < 0)
                rc = -EIO;
            frames += PCM_OPUS_FRAME, n -= PCM_OPUS_FRAME;
            continue;
        }
        size_t take = MIN(n, PCM_OPUS_FRAME - e->n_pending);
        memcpy(e->pending + e->n_pending, frames, take * sizeof(uint32_t));
        e->n_pending += take;
        frames += take, n -= take;
        if (e->n_pending == PCM_OPUS_FRAME) {
            e->n_pending = 0;
            if (encode_frame(e, e->pending) < 0)
                rc = -EIO;
        }
    }
    return rc;
}

void pcm_opus_encoder_restart(struct pcm_opus_encoder *e, uint32_t timestamp)
{
    e->n_pending = 0;
    e->timestamp = timestamp;
    opus_encoder_ctl(e->enc, OPUS_RESET_STATE);
}

uint64_t pcm_opus_encoder_packets(const struct pcm_opus_encoder *e)
{
    return e->packets;
}

struct pcm_opus_decoder {
    OpusDecoder *dec;
};

struct pcm_opus_decoder *pcm_opus_decoder_create(char **ret_error)
{
    int err = 0;
    OpusDecoder *dec = opus_decoder_create(PCM_OPUS_RATE, 2, &err);
    if (!dec) {
        *ret_error = g_strdup_printf("cannot create an Opus decoder: %s", opus_strerror(err));
        return NULL;
    }
    struct pcm_opus_decoder *d = g_new0(struct pcm_opus_decoder, 1);
    d->dec = dec;
    return d;
}

void pcm_opus_decoder_destroy(struct pcm_opus_decoder *d)
{
    if (!d)
        return;
    opus_decoder_destroy(d->dec);
    g_free(d);
}

int pcm_opus_decoder_decode(struct pcm_opus_decoder *d, const uint8_t *packet, size_t len,
                            uint32_t *out, size_t capacity, const char **ret_why)
{
    if (len == 0) {
        *ret_why = "an empty Opus packet";
        return -EINVAL;
    }
    if (len > PCM_OPUS_MAX_PACKET) {
        *ret_why = "an Opus packet longer than 1500 bytes";
        return -EMSGSIZE;
    }
    /* The table of contents and frame lengths first: libopus's own parser,
     * which checks every length against the packet. */
    const unsigned char *frames[48];
    opus_int16 sizes[48];
    unsigned char toc;
    if (opus_packet_parse(packet, (opus_int32)len, &toc, frames, sizes, NULL) < 0) {
        *ret_why = "not a valid Opus packet";
        return -EINVAL;
    }
    int samples = opus_packet_get_nb_samples(packet, (opus_int32)len, PCM_OPUS_RATE);
    if (samples <= 0) {
        *ret_why = "not a valid Opus packet";
        return -EINVAL;
    }
    if ((size_t)samples > capacity || samples > PCM_OPUS_MAX_DECODED) {
        *ret_why = "an Opus packet longer than 120 ms";
        return -EMSGSIZE;
    }
    int n = opus_decode(d->dec, packet, (opus_int32)len, (opus_int16 *)out, samples, 0);
    if (n < 0) {
        *ret_why = "an Opus packet libopus cannot decode";
        return -EINVAL;
    }
    return n;
}
