/* bitrate-control on scripted link traces: a simulated link, millisecond by
 * millisecond.
 *
 * The model: the pump queues a frame of exactly the budget the controller
 * gives (an encoder at constant bitrate, with +-10 % noise) every frame
 * interval, or drops it when two frames wait on the port. The server moves
 * port bytes into the client's socket while the socket buffer (256 KB, as a
 * kernel's autotuned send buffer can be) has room; the frame counts as sent
 * when its last byte went in. The link drains the socket at the scripted
 * rate; the client acknowledges what was drained. Ground truth per frame:
 * from queued to its last byte leaving the link, minus the time its own
 * bytes need on the link: the queueing delay a viewer sees. */
#include <glib.h>
#include <math.h>
#include <stdbool.h>

#include "agent/bitrate-control.h"

#define SOCK_BUF    (256 * 1024)
#define MAX_PENDING 2

struct pframe {
    size_t bytes, left_port; /* bytes not yet moved into the socket */
    int64_t queued_us;
    uint64_t end_offset; /* offset of its last byte in the socket stream */
};

struct sim {
    struct bitrate_control *bc;
    GRand *rand;
    bool socket_visible;
    bool reading; /* the client reads */
    double app_mbit; /* > 0: the encoder makes at most this (a calm picture) */
    int64_t now;  /* us */
    int64_t next_frame;
    /* port */
    struct pframe port[MAX_PENDING];
    int n_port;
    /* socket */
    double sock_bytes;    /* unsent */
    uint64_t written;     /* total bytes into the socket */
    double drained;       /* total bytes out of the link */
    /* frames in the socket, waiting to leave the link: ground truth */
    GArray *inflight; /* struct pframe */
    /* results of the last run */
    uint64_t frames, dropped, bytes_sent;
    GArray *delays_ms; /* double */
    double max_sock_bytes;
};

static void sim_init(struct sim *s, const struct bitrate_control_config *cfg, bool socket_visible)
{
    *s = (struct sim){0};
    s->bc = bitrate_control_create(cfg);
    s->rand = g_rand_new_with_seed(19);
    s->socket_visible = socket_visible;
    s->reading = true;
    s->inflight = g_array_new(FALSE, FALSE, sizeof(struct pframe));
    s->delays_ms = g_array_new(FALSE, FALSE, sizeof(double));
}

static void sim_free(struct sim *s)
{
    bitrate_control_destroy(s->bc);
    g_rand_free(s->rand);
    g_array_unref(s->inflight);
    g_array_unref(s->delays_ms);
}

static void reset_results(struct sim *s)
{
    s->frames = s->dropped = s->bytes_sent = 0;
    s->max_sock_bytes = 0;
    g_array_set_size(s->delays_ms, 0);
}

/* Runs @ms milliseconds on a link of @mbit (jitter: each millisecond's rate
 * is multiplied by a random factor in [1 - jitter, 1 + jitter]). */
static void run(struct sim *s, double mbit, double jitter, int ms)
{
    for (int i = 0; i < ms; i++, s->now += 1000) {
        /* the pump */
        if (s->now >= s->next_frame) {
            if (s->n_port >= MAX_PENDING) {
                bitrate_control_frame_dropped(s->bc, s->now);
                s->dropped++;
            } else {
                size_t budget = bitrate_control_frame_budget(s->bc);
                if (s->app_mbit > 0)
                    budget = MIN(budget, (size_t)(s->app_mbit * 1e6 / 8 *
                                                  bitrate_control_interval_us(s->bc) / 1e6));
                size_t bytes = (size_t)(budget * g_rand_double_range(s->rand, 0.9, 1.1));
                s->port[s->n_port++] = (struct pframe){bytes, bytes, s->now, 0};
            }
            s->next_frame += bitrate_control_interval_us(s->bc);
            if (s->next_frame < s->now)
                s->next_frame = s->now;
        }
        /* the server: port -> socket */
        while (s->n_port > 0 && s->sock_bytes < SOCK_BUF) {
            struct pframe *f = &s->port[0];
            size_t room = SOCK_BUF - (size_t)s->sock_bytes;
            size_t n = MIN(room, f->left_port);
            f->left_port -= n;
            s->sock_bytes += n;
            s->written += n;
            if (f->left_port > 0)
                break;
            f->end_offset = s->written;
            bitrate_control_frame_sent(s->bc, f->bytes, f->queued_us, s->now);
            s->frames++;
            s->bytes_sent += f->bytes;
            g_array_append_val(s->inflight, *f);
            s->port[0] = s->port[1];
            s->n_port--;
        }
        /* the link */
        double rate = mbit * 1e6 / 8 / 1000; /* bytes per ms */
        if (jitter > 0)
            rate *= g_rand_double_range(s->rand, 1 - jitter, 1 + jitter);
        double out = s->reading ? MIN(s->sock_bytes, rate) : 0;
        s->sock_bytes -= out;
        s->drained += out;
        s->max_sock_bytes = MAX(s->max_sock_bytes, s->sock_bytes);
        while (s->inflight->len > 0) {
            struct pframe *f = &g_array_index(s->inflight, struct pframe, 0);
            if ((double)f->end_offset > s->drained + 0.5)
                break;
            double own_ms = f->bytes / (mbit * 1e6 / 8 / 1000);
            double d = (s->now + 1000 - f->queued_us) / 1000.0 - own_ms;
            d = MAX(d, 0);
            g_array_append_val(s->delays_ms, d);
            g_array_remove_index(s->inflight, 0);
        }
        if (s->socket_visible && i % 10 == 0)
            bitrate_control_socket(s->bc, s->now, (size_t)s->sock_bytes, (uint64_t)s->drained);
    }
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double delay_pct(struct sim *s, double pct)
{
    if (s->delays_ms->len == 0)
        return 0;
    g_array_sort(s->delays_ms, cmp_double);
    guint i = MIN(s->delays_ms->len - 1, (guint)(s->delays_ms->len * pct / 100));
    return g_array_index(s->delays_ms, double, i);
}

static double mbit_sent(struct sim *s, int ms)
{
    return s->bytes_sent * 8.0 / 1000.0 / ms;
}

/* Without a view of the socket, a queue in its buffer is seen only once the
 * buffer is full: the bound is then the buffer's time on the link more. */
static double hidden_ms(bool socket_visible, double mbit)
{
    return socket_visible ? 0 : SOCK_BUF * 8 / (mbit * 1e6) * 1000;
}

static const struct bitrate_control_config auto_cfg = {
    .fixed_kbps = 0, .max_kbps = 80000, .min_kbps = 1500, .start_kbps = 8000,
    .max_fps = 30, .min_fps = 2, .target_delay_ms = 40,
};

/* Steady 10 Mbit/s: the rate settles close below the link, with a short
 * queue and nothing dropped. */
static void steady(bool socket_visible)
{
    struct sim s;
    sim_init(&s, &auto_cfg, socket_visible);
    run(&s, 10, 0, 20000); /* settle */
    reset_results(&s);
    run(&s, 10, 0, 20000);
    double p95 = delay_pct(&s, 95), used = mbit_sent(&s, 20000);
    g_test_message("steady 10 Mbit/s (socket %s): sent %.2f Mbit/s, %d fps, delay p95 %.1f ms, "
                   "max %.1f ms, dropped %" G_GUINT64_FORMAT,
                   socket_visible ? "seen" : "not seen", used, bitrate_control_fps(s.bc), p95,
                   delay_pct(&s, 100), s.dropped);
    g_assert_cmpfloat(used, >=, 7.0);  /* uses most of the link */
    g_assert_cmpfloat(used, <=, 10.2); /* and not more */
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    g_assert_cmpfloat(p95, <, 60 + hidden_ms(socket_visible, 10));
    sim_free(&s);
}

static void test_steady_socket(void)
{
    steady(true);
}

static void test_steady_port_only(void)
{
    steady(false);
}

/* 50 Mbit/s, then 1 Mbit/s, then 50 again. */
static void collapse(bool socket_visible)
{
    struct sim s;
    sim_init(&s, &auto_cfg, socket_visible);
    run(&s, 50, 0, 30000);
    int before = bitrate_control_kbps(s.bc);
    g_test_message("at 50 Mbit/s: %d kbit/s", before);
    g_assert_cmpint(before, >=, 35000);

    /* The collapse: within 3 s (90 frame intervals; without the socket's
     * view, plus the time its buffer holds) the bitrate is under the new
     * link's rate, and frames dropped rather than queued. */
    reset_results(&s);
    run(&s, 1, 0, 3000 + (int)hidden_ms(socket_visible, 1));
    int after = bitrate_control_kbps(s.bc);
    g_test_message("3 s after the collapse: %d kbit/s, %d fps, %" G_GUINT64_FORMAT " dropped, "
                   "delay max %.0f ms", after, bitrate_control_fps(s.bc), s.dropped,
                   delay_pct(&s, 100));
    g_assert_cmpint(after, <=, 1000);
    /* what was in flight at the collapse (two 50 Mbit/s frames on the port,
     * what the socket held) drains; nothing more piles up */
    g_assert_cmpfloat(delay_pct(&s, 100), <, 2000 + hidden_ms(socket_visible, 1));
    /* then it stays there with a bounded queue: what the collapse left in
     * the buffers drains, and no new queue builds */
    run(&s, 1, 0, 10000);
    reset_results(&s);
    run(&s, 1, 0, 20000);
    double used = mbit_sent(&s, 20000), p95 = delay_pct(&s, 95);
    g_test_message("at 1 Mbit/s: sent %.2f Mbit/s, %d fps, delay p95 %.0f ms, max %.0f ms",
                   used, bitrate_control_fps(s.bc), p95, delay_pct(&s, 100));
    g_assert_cmpfloat(used, <=, 1.02); /* what left the link, and some buffer */
    g_assert_cmpfloat(used, >=, 0.6);
    g_assert_cmpfloat(p95, <, 150 + hidden_ms(socket_visible, 1));
    /* bitrate went first, then the frame rate: at 1 Mbit/s with a 1.5 Mbit/s
     * floor the frame rate is down */
    g_assert_cmpint(bitrate_control_fps(s.bc), <, 30);

    /* Back to 50: probing upward is slow but gets there. The frame rate
     * comes back first. */
    reset_results(&s);
    run(&s, 50, 0, 8000);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    run(&s, 50, 0, 32000);
    int back = bitrate_control_kbps(s.bc);
    g_test_message("40 s after recovery: %d kbit/s", back);
    g_assert_cmpint(back, >=, 35000);
    g_assert_cmpfloat(delay_pct(&s, 95), <, 60 + hidden_ms(socket_visible, 50));
    sim_free(&s);
}

static void test_collapse_socket(void)
{
    collapse(true);
}

static void test_collapse_port_only(void)
{
    collapse(false);
}

/* The client stops reading for 10 s: frames are dropped, nothing grows
 * (the port holds two frames, the socket its buffer), and the rate is at
 * its lowest; when it reads again the stream resumes. */
static void test_stops_reading(void)
{
    struct sim s;
    sim_init(&s, &auto_cfg, true);
    run(&s, 10, 0, 10000);
    reset_results(&s);
    s.reading = false;
    run(&s, 10, 0, 10000);
    g_test_message("not reading: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " dropped, "
                   "%d kbit/s, %d fps", s.frames, s.dropped, bitrate_control_kbps(s.bc),
                   bitrate_control_fps(s.bc));
    g_assert_cmpuint(s.dropped, >, 0);
    g_assert_cmpfloat(s.max_sock_bytes, <=, SOCK_BUF);
    g_assert_cmpint(s.n_port, <=, MAX_PENDING);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, auto_cfg.min_fps);
    /* drops cut blindly: a halving per settling time, to the floor */
    g_assert_cmpint(bitrate_control_kbps(s.bc), <=, 200);
    s.reading = true;
    reset_results(&s);
    run(&s, 10, 0, 20000);
    g_test_message("reading again: %" G_GUINT64_FORMAT " sent, %d kbit/s", s.frames,
                   bitrate_control_kbps(s.bc));
    g_assert_cmpuint(s.frames, >, 100);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    sim_free(&s);
}

/* A jittery 10 Mbit/s link (each millisecond's rate +-60 %): the same mean
 * rate, no runaway queue, no collapse of the rate. */
static void test_jitter(void)
{
    struct sim s;
    sim_init(&s, &auto_cfg, true);
    run(&s, 10, 0.6, 20000);
    reset_results(&s);
    run(&s, 10, 0.6, 30000);
    double used = mbit_sent(&s, 30000), p95 = delay_pct(&s, 95);
    g_test_message("jitter: sent %.2f Mbit/s, delay p95 %.1f ms, max %.1f ms, %d fps", used, p95,
                   delay_pct(&s, 100), bitrate_control_fps(s.bc));
    g_assert_cmpfloat(used, >=, 6.0);
    g_assert_cmpfloat(used, <=, 10.0);
    g_assert_cmpfloat(p95, <, 80);
    sim_free(&s);
}

/* --video-bitrate=KBIT: the rate stays at KBIT on a link that carries it;
 * on one that does not, only the frame rate goes down. */
static void test_fixed(void)
{
    struct bitrate_control_config cfg = auto_cfg;
    cfg.fixed_kbps = 4000;
    struct sim s;
    sim_init(&s, &cfg, true);
    run(&s, 50, 0, 10000);
    g_assert_cmpint(bitrate_control_kbps(s.bc), ==, 4000);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    size_t budget = bitrate_control_frame_budget(s.bc);
    run(&s, 2, 0, 10000);
    reset_results(&s);
    run(&s, 2, 0, 10000);
    g_test_message("fixed 4 Mbit/s on 2 Mbit/s: %d fps, delay p95 %.0f ms",
                   bitrate_control_fps(s.bc), delay_pct(&s, 95));
    g_assert_cmpint(bitrate_control_fps(s.bc), <, 30);
    g_assert_cmpuint(bitrate_control_frame_budget(s.bc), >=, budget * 9 / 10);
    g_assert_cmpfloat(delay_pct(&s, 95), <, 150);
    run(&s, 50, 0, 20000);
    g_assert_cmpint(bitrate_control_kbps(s.bc), ==, 4000);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    sim_free(&s);
}

/* A fast link and a stream that needs little (4 Mbit/s on 1 Gbit/s, a
 * loopback): the stream, not the link, sets the pace; that must not read as
 * a slow link, nor let the rate climb above what the stream fills. */
static void test_app_limited(void)
{
    struct sim s;
    sim_init(&s, &auto_cfg, true);
    s.app_mbit = 4;
    run(&s, 1000, 0, 20000);
    g_test_message("app-limited: %d kbit/s, link estimate %d kbit/s", bitrate_control_kbps(s.bc),
                   bitrate_control_link_kbps(s.bc));
    /* no cut, and no probing far above what the stream sends */
    g_assert_cmpint(bitrate_control_kbps(s.bc), ==, auto_cfg.start_kbps);
    g_assert_cmpint(bitrate_control_fps(s.bc), ==, 30);
    struct bitrate_control_stats st;
    bitrate_control_get_stats(s.bc, &st);
    g_assert_cmpuint(st.cuts, ==, 0);
    sim_free(&s);
}

static void test_bounds(void)
{
    /* Nonsense bounds are clamped: never 0 fps, a start within the range. */
    struct bitrate_control_config cfg = {0, 0, 100000, 999999, 0, 0, 0};
    struct bitrate_control *bc = bitrate_control_create(&cfg);
    g_assert_cmpint(bitrate_control_fps(bc), ==, 1);
    g_assert_cmpint(bitrate_control_kbps(bc), >=, 1);
    g_assert_cmpuint(bitrate_control_frame_budget(bc), >, 0);
    for (int i = 0; i < 50; i++)
        bitrate_control_frame_dropped(bc, i * 1000000);
    g_assert_cmpint(bitrate_control_fps(bc), ==, 1);
    g_assert_cmpint(bitrate_control_kbps(bc), >=, 1);
    /* a socket sample with acknowledgements going backwards is ignored */
    bitrate_control_socket(bc, 100000000, 1000, 5000);
    bitrate_control_socket(bc, 101000000, 1000, 10);
    g_assert_cmpint(bitrate_control_link_kbps(bc), ==, 0);
    bitrate_control_destroy(bc);
    bitrate_control_destroy(NULL);
}

static void test_jpeg_quality(void)
{
    g_assert_cmpint(bitrate_control_jpeg_quality(80, 1000, 100, 30, 85), ==, 70);
    g_assert_cmpint(bitrate_control_jpeg_quality(80, 110, 100, 30, 85), ==, 76);
    g_assert_cmpint(bitrate_control_jpeg_quality(80, 90, 100, 30, 85), ==, 80);
    g_assert_cmpint(bitrate_control_jpeg_quality(80, 50, 100, 30, 85), ==, 82);
    g_assert_cmpint(bitrate_control_jpeg_quality(85, 50, 100, 30, 85), ==, 85);
    g_assert_cmpint(bitrate_control_jpeg_quality(31, 1000, 100, 30, 85), ==, 30);
    g_assert_cmpint(bitrate_control_jpeg_quality(50, 1000, 100, 60, 40), ==, 40);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bitrate-control/steady-10mbit", test_steady_socket);
    g_test_add_func("/bitrate-control/steady-10mbit-port-only", test_steady_port_only);
    g_test_add_func("/bitrate-control/collapse-50-1-50", test_collapse_socket);
    g_test_add_func("/bitrate-control/collapse-50-1-50-port-only", test_collapse_port_only);
    g_test_add_func("/bitrate-control/client-stops-reading", test_stops_reading);
    g_test_add_func("/bitrate-control/jitter", test_jitter);
    g_test_add_func("/bitrate-control/fixed", test_fixed);
    g_test_add_func("/bitrate-control/app-limited", test_app_limited);
    g_test_add_func("/bitrate-control/bounds", test_bounds);
    g_test_add_func("/bitrate-control/jpeg-quality", test_jpeg_quality);
    return g_test_run();
}
