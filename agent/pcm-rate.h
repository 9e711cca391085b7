/* pcm-rate: measures the rate at which a peer actually delivers frames, to
 * catch a client that sends its microphone at another rate than the one
 * negotiated (its audio would play at the wrong pitch). Pure arithmetic on
 * caller-provided timestamps, so it is unit-testable. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct pcm_rate {
    uint32_t nominal;  /* the negotiated rate */
    int64_t window_us; /* length of one measurement window */
    int64_t start_us;  /* start of the current window, 0 before the first frames */
    uint64_t frames;   /* frames seen in the current window */
    int64_t last_us;   /* time of the latest frames */
};

void pcm_rate_init(struct pcm_rate *r, uint32_t nominal, int64_t window_us);
/* Restarts measuring, e.g. after the peer paused. */
void pcm_rate_reset(struct pcm_rate *r);

/* Feeds @n frames that arrived at @now_us (monotonic). A gap of more than a
 * quarter window restarts the window (a paused peer is not a slow peer).
 * When a full window ends, returns the standard rate (8000 ... 96000 Hz)
 * the peer really uses if it is not @nominal and is within 2% of the
 * measurement; returns 0 otherwise (nominal, no verdict yet, or not a
 * standard rate). */
uint32_t pcm_rate_feed(struct pcm_rate *r, size_t n, int64_t now_us);
