/* web-audio: sound for the browser viewer. Desktop sound (agent/audio.c's
 * tap on the desktop sink's monitor) becomes 20 ms Opus packets sent as
 * AUDIO messages, only while a viewer whose CAPS say it decodes Opus is there
 * and sound plays; the page's MIC messages (web-mic) go into the guest's
 * virtual microphone. Main thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct audio;
struct web_server;
struct metrics_writer;

struct web_audio;

/* @audio NULL (--audio=off): the viewer gets no sound and MIC is ignored.
 * Installs the MIC handler on @server. NULL with *ret_error (new string). */
struct web_audio *web_audio_create(struct audio *audio, struct web_server *server,
                                   char **ret_error);
void web_audio_destroy(struct web_audio *wa);

/* The web viewer came with CAPS @caps (enum web_caps_flags) or went. */
void web_audio_set_viewer(struct web_audio *wa, bool present, uint8_t caps, const char *address);

struct web_audio_stats {
    uint64_t packets, bytes; /* AUDIO sent */
    uint64_t send_failed;    /* AUDIO the server could not send (no open viewer) */
    uint64_t mic_packets, mic_bytes, mic_refused;
};
void web_audio_get_stats(const struct web_audio *wa, struct web_audio_stats *ret_stats);
/* Writes the counters above as Prometheus metrics (thindesk_web_audio_*). */
void web_audio_write_metrics(const struct web_audio *wa, struct metrics_writer *w);
