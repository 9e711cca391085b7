#include "agent/bitrate-control.h"

#include <glib.h>
#include <math.h>
#include <stdbool.h>

/* Cut to this share of the measured delivery rate: room to drain. */
#define CUT_SHARE       0.85
/* Without a fresh delivery sample (frames dropped, nothing read), halve. */
#define CUT_BLIND       0.5
#define CUT_SETTLE_US   (150 * 1000)
/* Upward: a small step after a calm stretch. */
#define PROBE_FACTOR    1.12
#define PROBE_CALM_US   (1000 * 1000)
#define PROBE_EVERY_US  (400 * 1000)
/* Probe only while the stream sends at least 1 / this of the rate. */
#define APP_LIMITED_SHARE 1.5
/* A port sample counts as the link's rate when reading the frame took this
 * long: the server waited for the client. */
#define LINK_LIMITED_US 2000
/* Paced by the link this long: the buffers in front of it are full. */
#define LIMITED_FULL_US (500 * 1000)
#define SAMPLE_FRESH_US (1500 * 1000)
#define SOCKET_MIN_DT   (40 * 1000)
/* Outstanding bytes that mean the link, not the stream, is the bottleneck. */
#define BACKLOG_BYTES   (64 * 1024)
#define ABS_MIN_KBPS    32

struct bitrate_control {
    struct bitrate_control_config cfg;
    double kbps;          /* the rate decided */
    double link_kbps;     /* the latest link-limited delivery rate, smoothed */
    int64_t link_at_us;   /* when it was measured */
    int64_t prev_done_us; /* the previous frame's last byte read */
    int64_t limited_since_us; /* every frame since was paced by the link; 0: not */
    int64_t port_delay_us;
    int64_t sock_delay_us;
    /* socket */
    bool sock_seen;
    int64_t sock_at_us;
    size_t sock_unsent;
    uint64_t sock_acked;
    int64_t last_cut_us;
    int64_t last_probe_us;
    int64_t last_trouble_us;
    /* what the stream actually sent, per second: no probing far above it */
    int64_t window_start_us;
    uint64_t window_bytes;
    double sent_kbps;
    struct bitrate_control_stats stats;
};

struct bitrate_control *bitrate_control_create(const struct bitrate_control_config *config)
{
    struct bitrate_control *bc = g_new0(struct bitrate_control, 1);
    bc->cfg = *config;
    struct bitrate_control_config *c = &bc->cfg;
    c->max_fps = MAX(c->max_fps, 1);
    c->min_fps = CLAMP(c->min_fps, 1, c->max_fps);
    if (c->max_kbps < ABS_MIN_KBPS)
        c->max_kbps = ABS_MIN_KBPS;
    if (c->fixed_kbps > 0) {
        c->max_kbps = MIN(c->fixed_kbps, c->max_kbps);
        c->min_kbps = c->max_kbps;
        c->start_kbps = c->max_kbps;
    }
    c->min_kbps = CLAMP(c->min_kbps, ABS_MIN_KBPS, c->max_kbps);
    if (c->start_kbps <= 0)
        c->start_kbps = MAX(c->max_kbps / 4, c->min_kbps);
    c->start_kbps = CLAMP(c->start_kbps, ABS_MIN_KBPS, c->max_kbps);
    if (c->target_delay_ms <= 0)
        c->target_delay_ms = 40;
    bc->kbps = c->start_kbps;
    bc->last_cut_us = bc->last_probe_us = bc->last_trouble_us = G_MININT64 / 2;
    bc->link_at_us = G_MININT64 / 2;
    bc->window_start_us = 0;
    bc->prev_done_us = G_MININT64 / 2;
    return bc;
}

void bitrate_control_destroy(struct bitrate_control *bc)
{
    g_free(bc);
}

/* The lowest the rate goes: the floor's per-frame budget at min_fps. */
static double lowest_kbps(const struct bitrate_control *bc)
{
    return MAX((double)ABS_MIN_KBPS,
               (double)bc->cfg.min_kbps * bc->cfg.min_fps / bc->cfg.max_fps);
}

static void cut(struct bitrate_control *bc, int64_t now_us, const char *why)
{
    bc->last_trouble_us = now_us;
    if (now_us - bc->last_cut_us < CUT_SETTLE_US)
        return;
    bool fresh = now_us - bc->link_at_us < SAMPLE_FRESH_US && bc->link_kbps > 0;
    double to = bc->kbps * CUT_BLIND;
    if (fresh)
        to = MAX(to, MIN(bc->kbps * 0.9, bc->link_kbps * CUT_SHARE));
    to = MAX(to, lowest_kbps(bc));
    if (to >= bc->kbps)
        return;
    bc->kbps = to;
    bc->last_cut_us = now_us;
    bc->stats.cuts++;
    g_debug("video: %s: %d kbit/s, %d fps (link %.0f kbit/s)", why, bitrate_control_kbps(bc),
            bitrate_control_fps(bc), bc->link_kbps);
}

static void maybe_probe(struct bitrate_control *bc, int64_t now_us)
{
    if (bc->kbps >= bc->cfg.max_kbps || now_us - bc->last_trouble_us < PROBE_CALM_US ||
        now_us - bc->last_probe_us < PROBE_EVERY_US)
        return;
    /* The stream does not fill what it has (a calm picture, an encoder
     * below its target): a higher rate would prove nothing about the link. */
    if (bc->sent_kbps <= 0 || bc->kbps > APP_LIMITED_SHARE * bc->sent_kbps)
        return;
    bc->kbps = MIN((double)bc->cfg.max_kbps, bc->kbps * PROBE_FACTOR);
    bc->last_probe_us = now_us;
    bc->stats.probes++;
    g_debug("video: the link keeps up: %d kbit/s, %d fps", bitrate_control_kbps(bc),
            bitrate_control_fps(bc));
}

static void link_sample(struct bitrate_control *bc, double kbps, int64_t now_us)
{
    /* A stale estimate is replaced; a fresh one moves by half. */
    if (now_us - bc->link_at_us > SAMPLE_FRESH_US || bc->link_kbps <= 0)
        bc->link_kbps = kbps;
    else
        bc->link_kbps = 0.5 * bc->link_kbps + 0.5 * kbps;
    bc->link_at_us = now_us;
}

static void check(struct bitrate_control *bc, int64_t now_us)
{
    if (bitrate_control_queue_delay_us(bc) > (int64_t)bc->cfg.target_delay_ms * 1000)
        cut(bc, now_us, "a queue builds up in front of the client");
    else
        maybe_probe(bc, now_us);
}

void bitrate_control_frame_sent(struct bitrate_control *bc, size_t bytes, int64_t queued_us,
                                int64_t done_us)
{
    if (done_us - bc->window_start_us >= G_USEC_PER_SEC) {
        if (bc->window_start_us > 0 || bc->window_bytes > 0)
            bc->sent_kbps = (double)bc->window_bytes * 8 * 1000 /
                            (double)(done_us - bc->window_start_us);
        bc->window_start_us = done_us;
        bc->window_bytes = 0;
    }
    bc->window_bytes += bytes;
    int64_t start = MAX(queued_us, bc->prev_done_us);
    int64_t busy = done_us - start;
    bc->prev_done_us = done_us;
    double own_us = 0;
    if (busy >= LINK_LIMITED_US) {
        double kbps = (double)bytes * 8 * 1000 / (double)busy;
        /* The socket's acknowledgements measure the link better: the
         * port's samples stand in only without them. */
        if (!bc->sock_seen || done_us - bc->sock_at_us > SAMPLE_FRESH_US)
            link_sample(bc, kbps, done_us);
        own_us = busy;
        if (!bc->limited_since_us)
            bc->limited_since_us = done_us;
    } else {
        bc->limited_since_us = 0;
    }
    /* Waiting beyond the frame's own transfer: a queue. */
    bc->port_delay_us = MAX(0, done_us - queued_us - (int64_t)own_us);
    /* The server has been paced by the link for a while: the buffers
     * between us and the client are full, a queue we cannot see. */
    if (bc->limited_since_us && done_us - bc->limited_since_us > LIMITED_FULL_US) {
        bc->limited_since_us = 0;
        cut(bc, done_us, "the buffers to the client are full");
        return;
    }
    check(bc, done_us);
}

void bitrate_control_frame_dropped(struct bitrate_control *bc, int64_t now_us)
{
    cut(bc, now_us, "frames dropped, two were waiting");
}

void bitrate_control_socket(struct bitrate_control *bc, int64_t now_us, size_t unsent_bytes,
                            uint64_t acked_bytes)
{
    if (bc->sock_seen && now_us - bc->sock_at_us < SOCKET_MIN_DT)
        return;
    if (bc->sock_seen && acked_bytes >= bc->sock_acked && bc->sock_unsent > BACKLOG_BYTES &&
        unsent_bytes > BACKLOG_BYTES) {
        /* A backlog all along: what was acknowledged is the link's rate.
         * (With less outstanding, the stream, not the link, sets the pace:
         * such a sample would drag the estimate down to our own rate.) */
        double kbps = (double)(acked_bytes - bc->sock_acked) * 8 * 1000 /
                      (double)(now_us - bc->sock_at_us);
        if (kbps > 0)
            link_sample(bc, kbps, now_us);
    }
    bc->sock_seen = true;
    bc->sock_at_us = now_us;
    bc->sock_unsent = unsent_bytes;
    bc->sock_acked = acked_bytes;
    /* The frame being sent is not a queue: what waits behind it is. */
    double rate = bc->link_kbps > 0 ? bc->link_kbps : bc->kbps;
    size_t frame = bitrate_control_frame_budget(bc);
    size_t queued = unsent_bytes > frame ? unsent_bytes - frame : 0;
    bc->sock_delay_us = (int64_t)((double)queued * 8 * 1000 / rate);
    check(bc, now_us);
}

int bitrate_control_kbps(const struct bitrate_control *bc)
{
    return (int)lround(bc->kbps);
}

int bitrate_control_fps(const struct bitrate_control *bc)
{
    if (bc->kbps >= bc->cfg.min_kbps)
        return bc->cfg.max_fps;
    int fps = (int)(bc->cfg.max_fps * bc->kbps / bc->cfg.min_kbps);
    return CLAMP(fps, bc->cfg.min_fps, bc->cfg.max_fps);
}

int64_t bitrate_control_interval_us(const struct bitrate_control *bc)
{
    return G_USEC_PER_SEC / bitrate_control_fps(bc);
}

size_t bitrate_control_frame_budget(const struct bitrate_control *bc)
{
    return (size_t)(bc->kbps * 1000 / 8 / bitrate_control_fps(bc));
}

int bitrate_control_link_kbps(const struct bitrate_control *bc)
{
    return (int)lround(bc->link_kbps);
}

int64_t bitrate_control_queue_delay_us(const struct bitrate_control *bc)
{
    return MAX(bc->port_delay_us, bc->sock_delay_us);
}

void bitrate_control_get_stats(const struct bitrate_control *bc,
                               struct bitrate_control_stats *ret)
{
    *ret = bc->stats;
}

int bitrate_control_jpeg_quality(int quality, size_t last_bytes, size_t budget, int min_q,
                                 int max_q)
{
    if (min_q > max_q)
        min_q = max_q;
    if (last_bytes > budget)
        quality -= last_bytes > 2 * budget ? 10 : 4;
    else if (last_bytes * 4 < budget * 3)
        quality += 2;
    return CLAMP(quality, min_q, max_q);
}
