/* pcm-opus: 48 kHz stereo S16 PCM (one uint32_t per frame, as pcm-fifo)
 * to and from Opus packets with libopus, for the browser path (SPICE clients
 * get Opus from spice-server itself). The encoder cuts 20 ms frames in the
 * low-delay mode; the decoder checks every packet before decoding it, since
 * packets come from the network. No spice or libsoup headers; not
 * thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PCM_OPUS_RATE    48000
#define PCM_OPUS_FRAME   960 /* frames per packet the encoder makes: 20 ms */
#define PCM_OPUS_BITRATE 96000
/* The longest packet either side accepts (libopus: 1275 bytes a frame; a
 * 20 ms frame at 510 kbit/s). Longer ones are refused, not decoded. */
#define PCM_OPUS_MAX_PACKET 1500
/* The most frames one packet may decode to: 120 ms, Opus's own limit. */
#define PCM_OPUS_MAX_DECODED 5760

struct pcm_opus_encoder;

/* One packet of @len bytes holding PCM_OPUS_FRAME frames from @timestamp
 * (48 kHz samples); @packet is valid during the call only. */
typedef void (*pcm_opus_packet_fn)(const uint8_t *packet, size_t len, uint32_t timestamp,
                                   void *user_data);

/* @bitrate in bit/s (6000 ... 510000). NULL with *ret_error (new string). */
struct pcm_opus_encoder *pcm_opus_encoder_create(int bitrate, pcm_opus_packet_fn fn,
                                                 void *user_data, char **ret_error);
void pcm_opus_encoder_destroy(struct pcm_opus_encoder *e);
/* Appends @n frames; every complete 20 ms frame becomes one packet through
 * the callback at once, the rest waits. 0, or -EIO when libopus failed (the
 * frame is lost, logged at debug). */
int pcm_opus_encoder_feed(struct pcm_opus_encoder *e, const uint32_t *frames, size_t n);
/* A new burst of sound starts at @timestamp: drops a partial frame and the
 * codec's memory of the previous burst. */
void pcm_opus_encoder_restart(struct pcm_opus_encoder *e, uint32_t timestamp);
uint64_t pcm_opus_encoder_packets(const struct pcm_opus_encoder *e);

struct pcm_opus_decoder;

/* Decodes mono and stereo packets to stereo. NULL with *ret_error. */
struct pcm_opus_decoder *pcm_opus_decoder_create(char **ret_error);
void pcm_opus_decoder_destroy(struct pcm_opus_decoder *d);
/* Decodes one packet into @out (room for @capacity frames, at least
 * PCM_OPUS_MAX_DECODED to take any valid packet). Returns the frame count,
 * or -EMSGSIZE (longer than PCM_OPUS_MAX_PACKET, or decodes to more than
 * @capacity), -EINVAL (empty or not a valid Opus packet) with *ret_why a
 * static sentence for the log. */
int pcm_opus_decoder_decode(struct pcm_opus_decoder *d, const uint8_t *packet, size_t len,
                            uint32_t *out, size_t capacity, const char **ret_why);
