/* audio: desktop sound to the client and the client's microphone into the
 * guest, between spice-server's playback/record interfaces (Opus is done
 * inside spice-server) and the guest's sound server (pulse-server,
 * pulse-stream). Runs on the main loop. */
#pragma once

#include <spice.h>
#include <stdbool.h>

#include "agent/options.h"

struct audio;

/* Adds the playback and record interfaces to @server (before
 * server_start) and connects to the sound server in the background; without
 * one the agent serves without audio and says so once. NULL on failure,
 * with *ret_error set (new string). */
struct audio *audio_create(SpiceServer *server, const struct agent_options *opts, char **ret_error);
void audio_destroy(struct audio *audio);

/* A client connected (true) or left: sound flows only while one is there. */
void audio_set_client(struct audio *audio, bool connected);

/* While on, the playback stream runs even in silence (the sink's monitor is
 * recorded all the time): spice-gtk then sets its multimedia clock from the
 * playback packets' timestamps and its own audio latency, and shows video
 * stream frames that much after the server stamped them instead of the 400 ms
 * the server's initial clock gives (display/VIDEO.md). */
void audio_set_video_clock(struct audio *audio, bool on);
