/* audio: desktop sound to the client and the client's microphone into the
 * guest, between spice-server's playback/record interfaces (Opus is done
 * inside spice-server) and the guest's sound server (pulse-server,
 * pulse-stream). Runs on the main loop. */
#pragma once

#include <spice.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/options.h"

struct audio;

/* Adds the playback and record interfaces to @server (before
 * server_start) and connects to the sound server in the background; without
 * one the agent serves without audio and says so once. NULL on failure,
 * with *ret_error set (new string). */
struct audio *audio_create(SpiceServer *server, const struct agent_options *opts, char **ret_error);
void audio_destroy(struct audio *audio);

/* --system: the same interfaces, fed by the session helper instead of a
 * sound server of the agent's own (it runs in the user's session; root
 * never talks to the user's sound server). @wanted says when the helper
 * should record the desktop's sound (a client is connected) and when not;
 * @mic gets the client's microphone (while audio_relay_listening said an
 * application records it). Frames go in with audio_relay_feed. All frames
 * are stereo S16 at 48 kHz. */
struct audio_relay {
    void (*wanted)(bool on, void *user_data);
    void (*mic)(const uint32_t *frames, size_t n, void *user_data);
    void *user_data;
};
struct audio *audio_create_relayed(SpiceServer *server, const struct audio_relay *relay,
                                   char **ret_error);
void audio_relay_feed(struct audio *audio, const uint32_t *frames, size_t n);
void audio_relay_listening(struct audio *audio, bool listening);

/* A client connected (true) or left: sound flows only while one is there.
 * When it leaves, the volume and mute it synced are undone. */
void audio_set_client(struct audio *audio, bool connected);

/* The client's own volume and mute of its playback (@playback) or record
 * stream (VD_AGENT_AUDIO_VOLUME_SYNC): @n channels of 0..65535. Applied to
 * the sink "thindesk" (not to a sink named by --audio-sink, the desktop's
 * own) or to the source "thindesk-mic". @audio may be NULL (--audio=off).
 *
 * Both scales are cubic (spice-gtk reads its stream volume in GStreamer's
 * cubic format and sends it times 65535; pa_volume_t is cubic with
 * PA_VOLUME_NORM as 100%), so the mapping is linear: 65535 is
 * PA_VOLUME_NORM, 32767 is 50% (-18 dB). Volume 0 on every channel and
 * not muted is ignored: spice-gtk sends that when it cannot read its own
 * volume, and a client really at 0 is silent at its end anyway.
 *
 * No loop: the agent never sends the guest's volume to clients
 * (spice_server_playback_set_volume), and spice-gtk sends its volume once
 * per agent connection, in answer to the agent's capabilities. */
void audio_set_client_volume(struct audio *audio, bool playback, bool mute,
                             const uint16_t *volume, int n);

/* While on, the playback stream runs even in silence (the sink's monitor is
 * recorded all the time): spice-gtk then sets its multimedia clock from the
 * playback packets' timestamps and its own audio latency, and shows video
 * stream frames that much after the server stamped them instead of the 400 ms
 * the server's initial clock gives (display/VIDEO.md). */
void audio_set_video_clock(struct audio *audio, bool on);

/* The browser path (agent/web/web-audio.c): the web viewer's share of the
 * desktop sound. pcm() gets the desktop sink's frames (48 kHz stereo S16,
 * about 10 ms at a time) while sound plays; stop() says that it stopped
 * (after a second of digital silence, as for SPICE clients, or the sound
 * server went). Both run on the main loop. */
struct audio_tap {
    void (*pcm)(const uint32_t *frames, size_t n, void *user_data);
    void (*stop)(void *user_data);
    void *user_data;
};

/* A web viewer came (@present) or went. @tap (copied; NULL when the page
 * cannot play Opus) gets the desktop sound while the viewer is there. While
 * present, thindesk-mic is the default source and audio_mic_push() feeds
 * it whenever a guest application records. @audio may be NULL. */
void audio_set_web_viewer(struct audio *audio, bool present, const struct audio_tap *tap);

/* The web viewer's microphone: @n decoded frames (48 kHz stereo S16) into
 * the source thindesk-mic, through the same queue as a SPICE client's.
 * Dropped while no application records from it. */
void audio_mic_push(struct audio *audio, const uint32_t *frames, size_t n);
