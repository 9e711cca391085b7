#include "agent/pcm-rate.h"

#include <stdlib.h>

static const uint32_t standard_rates[] = {8000,  11025, 16000, 22050, 24000,
                                          32000, 44100, 48000, 88200, 96000};

void pcm_rate_init(struct pcm_rate *r, uint32_t nominal, int64_t window_us)
{
    r->nominal = nominal;
    r->window_us = window_us;
    pcm_rate_reset(r);
}

void pcm_rate_reset(struct pcm_rate *r)
{
    r->start_us = 0;
    r->frames = 0;
    r->last_us = 0;
}

static uint32_t nearest_standard(double rate)
{
    for (size_t i = 0; i < sizeof(standard_rates) / sizeof(standard_rates[0]); i++) {
        double s = standard_rates[i];
        if (rate > s * 0.98 && rate < s * 1.02)
            return standard_rates[i];
    }
    return 0;
}

uint32_t pcm_rate_feed(struct pcm_rate *r, size_t n, int64_t now_us)
{
    if (n == 0)
        return 0;
    if (r->start_us == 0 || now_us - r->last_us > r->window_us / 4 || now_us < r->last_us) {
        /* The frames of this first read were buffered before: they start
         * the window but do not count. */
        r->start_us = now_us;
        r->last_us = now_us;
        r->frames = 0;
        return 0;
    }
    r->frames += n;
    r->last_us = now_us;
    int64_t elapsed = now_us - r->start_us;
    if (elapsed < r->window_us)
        return 0;
    double rate = (double)r->frames * 1e6 / (double)elapsed;
    r->start_us = now_us;
    r->frames = 0;
    uint32_t standard = nearest_standard(rate);
    return standard == r->nominal ? 0 : standard;
}
