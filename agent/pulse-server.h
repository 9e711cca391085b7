/* pulse-server: the agent's connection to the guest's sound server
 * (PulseAudio, or PipeWire's pulse server) through libpulse on the GLib main
 * loop. It sets up the session's devices and keeps them:
 *  - playback: a null sink "thindesk" made the default sink (or an existing
 *    sink named in the config), whose monitor the agent records;
 *  - microphone: a virtual source "thindesk-mic" (a null sink
 *    "thindesk-mic-sink" that the agent plays into, remapped as a source),
 *    made the default source while a client is connected.
 * When the server is missing or goes away it retries by itself. No spice
 * headers here. */
#pragma once

#include <pulse/context.h>
#include <stdbool.h>

#define PULSE_SERVER_SINK     "thindesk"
#define PULSE_SERVER_MIC_SINK "thindesk-mic-sink"
#define PULSE_SERVER_MIC      "thindesk-mic"

struct pulse_server;

struct pulse_server_events {
    /* Devices are ready on @context (valid until lost()): record from
     * @monitor, play the microphone into @mic_sink; either is NULL when that
     * device could not be found or made (logged). */
    void (*ready)(pa_context *context, const char *monitor, const char *mic_sink, void *user_data);
    /* The connection is gone; drop every stream of the old context now. */
    void (*lost)(void *user_data);
    /* Whether any application plays to the desktop sink (@playing) and
     * records from thindesk-mic (@listening) changed. Both start false at
     * ready(). */
    void (*usage)(bool playing, bool listening, void *user_data);
    void *user_data;
};

/* @sink: the sink whose sound clients hear; NULL creates "thindesk".
 * Connects in the background; never fails for a missing server. */
struct pulse_server *pulse_server_create(const char *sink, const struct pulse_server_events *ev);
/* Unloads the modules this agent loaded and restores the default source. */
void pulse_server_destroy(struct pulse_server *ps);

/* Makes "thindesk-mic" the default source (true) or gives the default back
 * to the source that had it before (false). Remembered across reconnects. */
void pulse_server_set_mic_default(struct pulse_server *ps, bool on);

/* Suspends and resumes the microphone's null sink. While nothing played into
 * it, the sink rendered silence up to its maximum latency (about 2 s) ahead;
 * a stream starting then would wait that long before its first sample is
 * heard. Resuming restarts the sink's clock at the stream's low latency. */
void pulse_server_restart_mic_sink(struct pulse_server *ps);
