#include "agent/audio.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "agent/pcm-fifo.h"
#include "agent/pcm-rate.h"
#include "agent/pulse-server.h"
#include "agent/pulse-stream.h"

#define RATE          48000
#define FRAMES_PER_MS (RATE / 1000)
/* The sound server hands over about 10 ms at a time, spice-server takes
 * 10 ms (480-frame) Opus frames: the queue between them holds at most 30 ms. */
#define PLAYBACK_FRAGMENT_MS 10
#define PLAYBACK_QUEUE_MS    30
/* The microphone: pulled from spice-server every 10 ms; at most 40 ms wait
 * in the agent (trimmed to 10 ms when it stays above that for a second) and
 * 20 ms in the sound server's stream buffer. */
#define MIC_TICK_MS   10
#define MIC_QUEUE_MS  40
#define MIC_TARGET_MS 10
#define MIC_TRIM_US   G_USEC_PER_SEC
#define MIC_STREAM_MS 20
/* Stop the playback stream after this much digital silence. */
#define SILENCE_STOP_US (1000 * 1000)
#define SILENCE_LEVEL   2
#define RATE_WINDOW_US  (3 * G_USEC_PER_SEC)

struct audio {
    SpicePlaybackInstance play;
    SpiceRecordInstance rec;
    struct pulse_server *ps;
    struct pulse_stream *capture; /* records the desktop sink's monitor */
    struct pulse_stream *mic;     /* plays the client's microphone into the mic sink */
    struct pcm_fifo *play_queue;
    struct pcm_fifo *mic_queue;
    struct pcm_rate mic_rate;
    uint32_t mic_stream_rate;
    bool client;
    bool desktop_playing; /* some application plays to the desktop sink */
    bool mic_listened;    /* some application records from thindesk-mic */
    bool playing;         /* spice_server_playback_start was called */
    bool recording;       /* spice_server_record_start was called */
    bool video_clock;     /* keep playing, silence too (audio_set_video_clock) */
    bool web;             /* a web viewer is there (audio_set_web_viewer) */
    bool web_listen;      /* ... and plays sound: web_tap is set */
    bool web_playing;     /* web_tap.pcm gets the sound */
    bool mic_on;          /* the mic stream runs (for SPICE or the web viewer) */
    struct audio_tap web_tap;
    gint64 web_last_sound_us;
    gint64 last_sound_us;
    guint mic_tick;
    uint64_t play_dropped;
    uint64_t mic_dropped;
    size_t mic_low;        /* lowest microphone queue length since mic_low_since */
    gint64 mic_low_since;
    uint32_t frame_size; /* frames per spice-server buffer */
    /* Relayed (--system): the desktop's sound comes from the session
     * helper, not from a sound server of our own. */
    bool relayed;
    bool relay_on;
    struct audio_relay relay;
};

static const SpicePlaybackInterface playback_interface = {
    .base = {.type = SPICE_INTERFACE_PLAYBACK,
             .description = "thindesk playback",
             .major_version = SPICE_INTERFACE_PLAYBACK_MAJOR,
             .minor_version = SPICE_INTERFACE_PLAYBACK_MINOR},
};

static const SpiceRecordInterface record_interface = {
    .base = {.type = SPICE_INTERFACE_RECORD,
             .description = "thindesk record",
             .major_version = SPICE_INTERFACE_RECORD_MAJOR,
             .minor_version = SPICE_INTERFACE_RECORD_MINOR},
};

/* --- playback: sound server → spice-server --- */

static bool is_silent(const uint32_t *frames, size_t n)
{
    const int16_t *s = (const int16_t *)frames;
    for (size_t i = 0; i < n * 2; i++)
        if (abs(s[i]) > SILENCE_LEVEL)
            return false;
    return true;
}

static void update(struct audio *a);

static void playback_stop(struct audio *a)
{
    if (!a->playing)
        return;
    g_debug("audio: playback stops");
    spice_server_playback_stop(&a->play);
    a->playing = false;
    pcm_fifo_clear(a->play_queue);
}

/* Hands complete frames to spice-server while it has free buffers. Its
 * frame size is 480 (10 ms at 48 kHz) for Opus and raw alike; should it ever
 * ask for more than is queued, the rest of that one buffer is silence. */
static void playback_flush(struct audio *a)
{
    while (pcm_fifo_length(a->play_queue) >= a->frame_size) {
        uint32_t *samples = NULL, n = 0;
        spice_server_playback_get_buffer(&a->play, &samples, &n);
        if (!samples || n == 0)
            return; /* no client channel yet, or it is behind: the queue drops old frames */
        if (n != a->frame_size) {
            g_debug("audio: spice-server frames are now %u samples", n);
            a->frame_size = n;
        }
        size_t got = pcm_fifo_pop(a->play_queue, samples, n);
        memset(samples + got, 0, (n - got) * sizeof(uint32_t));
        spice_server_playback_put_samples(&a->play, samples);
    }
}

static void spice_captured(struct audio *a, const uint32_t *frames, size_t n, bool sound,
                           gint64 now)
{
    if (a->video_clock || sound) {
        a->last_sound_us = now;
        if (!a->playing) {
            g_debug("audio: playback starts");
            spice_server_playback_start(&a->play);
            a->playing = true;
        }
    } else if (a->playing && now - a->last_sound_us > SILENCE_STOP_US) {
        playback_stop(a);
        update(a);
    }
    if (!a->playing)
        return;
    size_t dropped = pcm_fifo_push(a->play_queue, frames, n);
    if (dropped) {
        a->play_dropped += dropped;
        g_debug("audio: dropped %zu old frames: the client channel is behind", dropped);
    }
    /* Complete 10 ms frames leave at once; a partial one waits for the rest. */
    playback_flush(a);
}

static void web_stop(struct audio *a)
{
    if (!a->web_playing)
        return;
    g_debug("audio: browser sound stops");
    a->web_playing = false;
    if (a->web_tap.stop)
        a->web_tap.stop(a->web_tap.user_data);
}

/* The same rule as for SPICE: sound starts the stream, a second of silence
 * ends it, so a quiet desktop sends the browser nothing. */
static void web_captured(struct audio *a, const uint32_t *frames, size_t n, bool sound, gint64 now)
{
    if (sound) {
        a->web_last_sound_us = now;
        if (!a->web_playing) {
            g_debug("audio: browser sound starts");
            a->web_playing = true;
        }
    } else if (a->web_playing && now - a->web_last_sound_us > SILENCE_STOP_US) {
        web_stop(a);
        update(a);
    }
    if (a->web_playing)
        a->web_tap.pcm(frames, n, a->web_tap.user_data);
}

static void on_captured(const uint32_t *frames, size_t n, void *data)
{
    struct audio *a = data;
    if (!a->client && !a->web_listen)
        return;
    gint64 now = g_get_monotonic_time();
    bool sound = !is_silent(frames, n);
    if (a->client)
        spice_captured(a, frames, n, sound, now);
    if (a->web_listen)
        web_captured(a, frames, n, sound, now);
}

/* --- microphone: spice-server → sound server --- */

static void mic_check_rate(struct audio *a, size_t n)
{
    uint32_t real = pcm_rate_feed(&a->mic_rate, n, g_get_monotonic_time());
    if (!real || real == a->mic_stream_rate)
        return;
    if (pulse_stream_set_rate(a->mic, real) == 0) {
        g_warning("audio: the client sends its microphone at %u Hz although %d Hz was negotiated; converting from %u Hz", real, RATE, real);
        a->mic_stream_rate = real;
    } else {
        g_warning("audio: the client sends its microphone at %u Hz although %d Hz was negotiated, and the sound server cannot convert it: refusing its microphone",
                  real, RATE);
        pulse_stream_destroy(a->mic);
        a->mic = NULL;
    }
}

/* A burst from the client (or a stall of the sound server) leaves frames
 * queued; as both sides then run at the same rate, they would stay queued
 * for good. When the queue has not fallen below its target for a whole
 * second, the frames above the target are dropped: one short glitch instead
 * of lasting extra delay. */
static void mic_trim(struct audio *a, gint64 now)
{
    a->mic_low = MIN(a->mic_low, pcm_fifo_length(a->mic_queue));
    if (now - a->mic_low_since < MIC_TRIM_US)
        return;
    size_t target = MIC_TARGET_MS * FRAMES_PER_MS;
    if (a->mic_low > target) {
        uint32_t scratch[MIC_QUEUE_MS * FRAMES_PER_MS];
        size_t n = pcm_fifo_pop(a->mic_queue, scratch, a->mic_low - target);
        a->mic_dropped += n;
        g_debug("audio: dropped %zu microphone frames queued for over a second", n);
    }
    a->mic_low = SIZE_MAX;
    a->mic_low_since = now;
}

static gboolean on_mic_tick(gpointer data)
{
    struct audio *a = data;
    uint32_t buf[MIC_QUEUE_MS * FRAMES_PER_MS];
    size_t total = 0;
    uint32_t n;
    /* Drain spice-server's buffer; only the newest frames are kept. */
    while (a->recording &&
           (n = spice_server_record_get_samples(&a->rec, buf, G_N_ELEMENTS(buf))) > 0) {
        size_t dropped = pcm_fifo_push(a->mic_queue, buf, n);
        if (dropped) {
            a->mic_dropped += dropped;
            g_debug("audio: dropped %zu old microphone frames: they arrived in a burst", dropped);
        }
        total += n;
        if (n < G_N_ELEMENTS(buf))
            break;
    }
    if (a->relayed) {
        /* The helper plays it into the session's thindesk-mic; its sound
         * server's stream buffer paces it. */
        size_t got;
        while ((got = pcm_fifo_pop(a->mic_queue, buf, G_N_ELEMENTS(buf))) > 0)
            if (a->relay.mic)
                a->relay.mic(buf, got, a->relay.user_data);
        return G_SOURCE_CONTINUE;
    }
    if (!a->mic) {
        pcm_fifo_clear(a->mic_queue);
        return G_SOURCE_CONTINUE;
    }
    if (a->recording)
        mic_check_rate(a, total);
    if (!a->mic)
        return G_SOURCE_CONTINUE;
    size_t room = MIN(pulse_stream_writable(a->mic), pcm_fifo_length(a->mic_queue));
    if (room > 0) {
        size_t got = pcm_fifo_pop(a->mic_queue, buf, MIN(room, G_N_ELEMENTS(buf)));
        pulse_stream_write(a->mic, buf, got);
    }
    mic_trim(a, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

/* --- sound server events --- */

static void create_streams(struct audio *a, pa_context *ctx, const char *monitor,
                           const char *mic_sink)
{
    if (monitor && !a->capture)
        a->capture = pulse_stream_create(ctx, PULSE_STREAM_RECORD, monitor, "desktop sound", RATE,
                                         PLAYBACK_FRAGMENT_MS, on_captured, a);
    if (mic_sink && !a->mic) {
        a->mic = pulse_stream_create(ctx, PULSE_STREAM_PLAYBACK, mic_sink, "client microphone",
                                     RATE, MIC_STREAM_MS, NULL, NULL);
        a->mic_stream_rate = RATE;
        pcm_rate_reset(&a->mic_rate);
    }
    update(a);
}

static void on_sound_ready(pa_context *ctx, const char *monitor, const char *mic_sink, void *data)
{
    create_streams(data, ctx, monitor, mic_sink);
}

static void on_sound_lost(void *data)
{
    struct audio *a = data;
    playback_stop(a);
    web_stop(a);
    a->desktop_playing = a->mic_listened = false;
    update(a);
    g_clear_pointer(&a->capture, pulse_stream_destroy);
    g_clear_pointer(&a->mic, pulse_stream_destroy);
}

static void on_sound_usage(bool playing, bool listening, void *data)
{
    struct audio *a = data;
    a->desktop_playing = playing;
    a->mic_listened = listening;
    update(a);
}

void audio_set_client(struct audio *a, bool connected)
{
    if (!a || a->client == connected)
        return;
    a->client = connected;
    pulse_server_set_mic_default(a->ps, a->client || a->web);
    if (!connected) {
        /* The volume was the client's: the next one starts from 100%. */
        pulse_server_set_volume(a->ps, PULSE_SERVER_DESKTOP, NULL, false);
        pulse_server_set_volume(a->ps, PULSE_SERVER_MICROPHONE, NULL, false);
    }
    update(a);
    if (!connected && a->play_dropped)
        g_debug("audio: %" G_GUINT64_FORMAT " playback frames dropped so far", a->play_dropped);
}

/* SPICE's 0..65535 onto 0..PA_VOLUME_NORM (0x10000), rounded: see audio.h. */
static pa_volume_t volume_from_spice(uint16_t v)
{
    return (pa_volume_t)(((uint64_t)v * PA_VOLUME_NORM + 65535 / 2) / 65535);
}

void audio_set_client_volume(struct audio *a, bool playback, bool mute, const uint16_t *volume,
                             int n)
{
    if (!a || n <= 0 || n > (int)PA_CHANNELS_MAX)
        return;
    const char *stream = playback ? "playback" : "record";
    bool all_zero = true;
    for (int i = 0; i < n; i++)
        all_zero &= volume[i] == 0;
    if (all_zero && !mute) {
        /* spice-gtk sends this when its local audio element has no volume
         * to read (e.g. GStreamer's autoaudiosrc fell back to a source
         * without one). A client really at 0 plays and records silence by
         * itself, so skipping it loses nothing and keeps a misread from
         * silencing the guest's device. */
        g_debug("audio: ignoring the client's %s volume 0 (not muted): taken as unknown", stream);
        return;
    }
    g_debug("audio: the client's %s volume %u/65535%s", stream, volume[0], mute ? ", muted" : "");
    pa_cvolume cv;
    pa_cvolume_init(&cv);
    cv.channels = (uint8_t)n;
    for (int i = 0; i < n; i++)
        cv.values[i] = volume_from_spice(volume[i]);
    pulse_server_set_volume(a->ps, playback ? PULSE_SERVER_DESKTOP : PULSE_SERVER_MICROPHONE, &cv,
                            mute);
}

void audio_set_video_clock(struct audio *a, bool on)
{
    if (!a || a->video_clock == on)
        return;
    g_debug("audio: video clock %s", on ? "on" : "off");
    a->video_clock = on;
    /* Off: the playback stops after the usual second of silence. */
    a->last_sound_us = g_get_monotonic_time();
    update(a);
}

/* --- what runs when --- */

/* The stream into thindesk-mic and its tick, for whichever client feeds it. */
static void mic_set(struct audio *a, bool on)
{
    if (a->mic_on == on)
        return;
    a->mic_on = on;
    pulse_stream_set_corked(a->mic, !on);
    if (on) {
        pulse_server_restart_mic_sink(a->ps);
        g_debug("audio: microphone starts");
        a->mic_low = SIZE_MAX;
        a->mic_low_since = g_get_monotonic_time();
        a->mic_tick = g_timeout_add(MIC_TICK_MS, on_mic_tick, a);
    } else {
        g_debug("audio: microphone stops (%" G_GUINT64_FORMAT " frames dropped so far)",
                a->mic_dropped);
        g_clear_handle_id(&a->mic_tick, g_source_remove);
        pcm_fifo_clear(a->mic_queue);
    }
}

/* The SPICE client's microphone: spice-server tells it to open or close. */
static void record_set(struct audio *a, bool on)
{
    if (a->recording == on)
        return;
    a->recording = on;
    if (on) {
        spice_server_record_start(&a->rec);
        pcm_rate_reset(&a->mic_rate);
    } else {
        spice_server_record_stop(&a->rec);
    }
}

/* The desktop sink's monitor is recorded while a client is connected and
 * an application plays (or the stream still ends in silence); the client's
 * microphone runs while a client is connected and an application records
 * from thindesk-mic, so the client's microphone is open only when used. */
static void update(struct audio *a)
{
    if (!a->client)
        playback_stop(a);
    if (!a->web_listen)
        web_stop(a);
    if (a->relayed && a->relay_on != a->client) {
        /* The helper records while a client listens (its sound server
         * tells it when nothing plays; silence stops the playback here). */
        a->relay_on = a->client;
        if (a->relay.wanted)
            a->relay.wanted(a->client, a->relay.user_data);
    }
    bool spice = a->client && (a->desktop_playing || a->playing || a->video_clock);
    bool web = a->web_listen && (a->desktop_playing || a->web_playing);
    pulse_stream_set_corked(a->capture, !(spice || web));
    record_set(a, a->client && a->mic_listened);
    mic_set(a, (a->client || a->web) && a->mic_listened);
}

void audio_set_web_viewer(struct audio *a, bool present, const struct audio_tap *tap)
{
    if (!a)
        return;
    bool listen = present && tap && tap->pcm;
    if (a->web_listen && !listen)
        web_stop(a); /* with the old tap */
    a->web = present;
    a->web_listen = listen;
    if (listen)
        a->web_tap = *tap;
    else
        memset(&a->web_tap, 0, sizeof(a->web_tap));
    pulse_server_set_mic_default(a->ps, a->client || a->web);
    update(a);
}

void audio_mic_push(struct audio *a, const uint32_t *frames, size_t n)
{
    if (!a || !a->web || !a->mic_on || !a->mic)
        return;
    size_t dropped = pcm_fifo_push(a->mic_queue, frames, n);
    if (dropped) {
        a->mic_dropped += dropped;
        g_debug("audio: dropped %zu old microphone frames: the browser sent a burst", dropped);
    }
}

static struct audio *create(SpiceServer *server, const char *sink, bool relayed,
                            char **ret_error)
{
    struct audio *a = g_new0(struct audio, 1);
    a->play.base.sif = &playback_interface.base;
    a->rec.base.sif = &record_interface.base;
    a->frame_size = PLAYBACK_FRAGMENT_MS * FRAMES_PER_MS;
    a->play_queue = pcm_fifo_create(PLAYBACK_QUEUE_MS * FRAMES_PER_MS);
    a->mic_queue = pcm_fifo_create(MIC_QUEUE_MS * FRAMES_PER_MS);
    pcm_rate_init(&a->mic_rate, RATE, RATE_WINDOW_US);
    if (spice_server_add_interface(server, &a->play.base) != 0 ||
        spice_server_add_interface(server, &a->rec.base) != 0) {
        *ret_error = g_strdup("spice-server refused the audio interfaces");
        audio_destroy(a);
        return NULL;
    }
    /* 48 kHz is what Opus needs; spice-server then offers Opus to clients. */
    spice_server_set_playback_rate(&a->play, RATE);
    spice_server_set_record_rate(&a->rec, RATE);
    a->relayed = relayed;
    if (relayed)
        return a;
    struct pulse_server_events ev = {
        .ready = on_sound_ready, .lost = on_sound_lost, .usage = on_sound_usage, .user_data = a};
    a->ps = pulse_server_create(sink, &ev);
    return a;
}

struct audio *audio_create(SpiceServer *server, const struct agent_options *opts, char **ret_error)
{
    return create(server, opts->audio_sink, false, ret_error);
}

struct audio *audio_create_relayed(SpiceServer *server, const struct audio_relay *relay,
                                   char **ret_error)
{
    struct audio *a = create(server, NULL, true, ret_error);
    if (a)
        a->relay = *relay;
    return a;
}

void audio_relay_listening(struct audio *a, bool listening)
{
    if (!a || !a->relayed || a->mic_listened == listening)
        return;
    a->mic_listened = listening;
    update(a);
}

void audio_relay_feed(struct audio *a, const uint32_t *frames, size_t n)
{
    if (a && a->relayed)
        on_captured(frames, n, a);
}

void audio_destroy(struct audio *a)
{
    if (!a)
        return;
    memset(&a->relay, 0, sizeof(a->relay));
    a->client = false;
    a->web = a->web_listen = false;
    update(a);
    /* Tearing the server connection down may still call back into update():
     * the streams must be gone (NULL) by then, not dangling. */
    g_clear_pointer(&a->capture, pulse_stream_destroy);
    g_clear_pointer(&a->mic, pulse_stream_destroy);
    g_clear_pointer(&a->ps, pulse_server_destroy);
    if (a->play.st)
        spice_server_remove_interface(&a->play.base);
    if (a->rec.st)
        spice_server_remove_interface(&a->rec.base);
    pcm_fifo_destroy(a->play_queue);
    pcm_fifo_destroy(a->mic_queue);
    g_free(a);
}
