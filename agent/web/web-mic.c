#include "agent/web/web-mic.h"

#include <errno.h>
#include <glib.h>

#include "agent/pcm-opus.h"

struct web_mic {
    struct pcm_opus_decoder *dec;
    web_mic_pcm_fn fn;
    void *user_data;
    struct web_mic_stats stats;
    int64_t last_log_us; /* 0: never logged */
    uint64_t unlogged;   /* refusals since the last log line */
    uint32_t pcm[PCM_OPUS_MAX_DECODED];
};

struct web_mic *web_mic_create(web_mic_pcm_fn fn, void *user_data, char **ret_error)
{
    struct pcm_opus_decoder *dec = pcm_opus_decoder_create(ret_error);
    if (!dec)
        return NULL;
    struct web_mic *m = g_new0(struct web_mic, 1);
    m->dec = dec;
    m->fn = fn;
    m->user_data = user_data;
    return m;
}

void web_mic_destroy(struct web_mic *m)
{
    if (!m)
        return;
    pcm_opus_decoder_destroy(m->dec);
    g_free(m);
}

static void refused(struct web_mic *m, const char *why, const char *address, int64_t now_us)
{
    m->stats.refused++;
    m->unlogged++;
    if (m->last_log_us && now_us - m->last_log_us < WEB_MIC_LOG_INTERVAL_US)
        return;
    g_warning("web: refused %" G_GUINT64_FORMAT " microphone packet(s) from %s (the last: %s; %" G_GUINT64_FORMAT " so far)",
              m->unlogged, address ? address : "the browser", why, m->stats.refused);
    m->stats.logged++;
    m->unlogged = 0;
    m->last_log_us = now_us ? now_us : 1;
}

int web_mic_packet(struct web_mic *m, const struct web_page_msg *msg, const char *address,
                   int64_t now_us)
{
    if (msg->type != WEB_PAGE_MIC) {
        refused(m, "not a MIC message", address, now_us);
        return -EINVAL;
    }
    const char *why = NULL;
    int n = pcm_opus_decoder_decode(m->dec, msg->u.mic.data, msg->u.mic.len, m->pcm,
                                    G_N_ELEMENTS(m->pcm), &why);
    if (n < 0) {
        refused(m, why, address, now_us);
        return n;
    }
    m->stats.packets++;
    m->stats.bytes += msg->u.mic.len;
    if (n > 0 && m->fn)
        m->fn(m->pcm, (size_t)n, m->user_data);
    return 0;
}

void web_mic_get_stats(const struct web_mic *m, struct web_mic_stats *ret_stats)
{
    *ret_stats = m->stats;
}
