#include "agent/web/web-audio.h"

#include <glib.h>

#include "agent/audio.h"
#include "agent/metrics.h"
#include "agent/pcm-opus.h"
#include "agent/web/web-mic.h"
#include "agent/web/web-proto.h"
#include "agent/web/web-server.h"

struct web_audio {
    struct audio *audio;
    struct web_server *server;
    struct pcm_opus_encoder *enc;
    struct web_mic *mic;
    char *address;
    bool listening; /* the viewer decodes Opus: the tap is on */
    bool burst;     /* a burst of sound is being sent */
    struct web_audio_stats stats;
};

static void on_packet(const uint8_t *packet, size_t len, uint32_t timestamp, void *data)
{
    struct web_audio *wa = data;
    g_autoptr(GBytes) msg = web_proto_audio(timestamp, packet, len);
    if (web_server_send(wa->server, msg)) {
        wa->stats.packets++;
        wa->stats.bytes += g_bytes_get_size(msg);
    } else {
        wa->stats.send_failed++;
    }
}

static void on_pcm(const uint32_t *frames, size_t n, void *data)
{
    struct web_audio *wa = data;
    if (!wa->burst) {
        /* The page sees a new burst by the jump of the timestamp: the
         * agent's clock in 48 kHz samples. */
        wa->burst = true;
        pcm_opus_encoder_restart(wa->enc, (uint32_t)(g_get_monotonic_time() * 48 / 1000));
    }
    pcm_opus_encoder_feed(wa->enc, frames, n);
}

static void on_stop(void *data)
{
    struct web_audio *wa = data;
    wa->burst = false;
}

static void on_mic_pcm(const uint32_t *frames, size_t n, void *data)
{
    struct web_audio *wa = data;
    audio_mic_push(wa->audio, frames, n);
}

static void on_mic(const struct web_page_msg *msg, void *data)
{
    struct web_audio *wa = data;
    web_mic_packet(wa->mic, msg, wa->address, g_get_monotonic_time());
}

struct web_audio *web_audio_create(struct audio *audio, struct web_server *server, char **ret_error)
{
    struct web_audio *wa = g_new0(struct web_audio, 1);
    wa->audio = audio;
    wa->server = server;
    wa->enc = pcm_opus_encoder_create(PCM_OPUS_BITRATE, on_packet, wa, ret_error);
    if (!wa->enc)
        goto err;
    wa->mic = web_mic_create(on_mic_pcm, wa, ret_error);
    if (!wa->mic)
        goto err;
    if (audio)
        web_server_set_handler(server, WEB_PAGE_MIC, on_mic, wa);
    return wa;
err:
    web_audio_destroy(wa);
    return NULL;
}

void web_audio_destroy(struct web_audio *wa)
{
    if (!wa)
        return;
    if (wa->audio) {
        audio_set_web_viewer(wa->audio, false, NULL);
        if (wa->server)
            web_server_set_handler(wa->server, WEB_PAGE_MIC, NULL, NULL);
    }
    pcm_opus_encoder_destroy(wa->enc);
    web_mic_destroy(wa->mic);
    g_free(wa->address);
    g_free(wa);
}

void web_audio_set_viewer(struct web_audio *wa, bool present, uint8_t caps, const char *address)
{
    if (!wa)
        return;
    g_free(wa->address);
    wa->address = present && address ? g_strdup(address) : NULL;
    wa->burst = false;
    wa->listening = present && (caps & WEB_CAPS_AUDIO_OPUS);
    if (present && !(caps & WEB_CAPS_AUDIO_OPUS))
        g_message("web: viewer %s cannot decode Opus (no WebCodecs AudioDecoder): no sound for it",
                  address ? address : "?");
    const struct audio_tap tap = {.pcm = on_pcm, .stop = on_stop, .user_data = wa};
    audio_set_web_viewer(wa->audio, present, wa->listening ? &tap : NULL);
}

void web_audio_get_stats(const struct web_audio *wa, struct web_audio_stats *ret)
{
    *ret = wa->stats;
    struct web_mic_stats ms;
    web_mic_get_stats(wa->mic, &ms);
    ret->mic_packets = ms.packets;
    ret->mic_bytes = ms.bytes;
    ret->mic_refused = ms.refused;
}

void web_audio_write_metrics(const struct web_audio *wa, struct metrics_writer *w)
{
    struct web_audio_stats s = {0};
    if (wa)
        web_audio_get_stats(wa, &s);
    metrics_write_counter(w, "thindesk_web_audio_packets_total",
                          "Opus packets of desktop sound sent to the browser", s.packets);
    metrics_write_counter(w, "thindesk_web_audio_bytes_total",
                          "bytes of AUDIO messages sent to the browser", s.bytes);
    metrics_write_counter(
        w, "thindesk_web_audio_dropped_total",
        "Opus packets of desktop sound not sent: the viewer's socket was not open", s.send_failed);
    metrics_write_counter(w, "thindesk_web_mic_packets_total",
                          "browser microphone packets decoded into thindesk-mic", s.mic_packets);
    metrics_write_counter(w, "thindesk_web_mic_bytes_total",
                          "bytes of decoded browser microphone packets", s.mic_bytes);
    metrics_write_counter(w, "thindesk_web_mic_refused_total",
                          "browser microphone packets refused as malformed or oversized",
                          s.mic_refused);
}
