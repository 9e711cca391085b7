#include <glib.h>

#include "agent/pcm-rate.h"

#define MS 1000

/* Feeds @seconds of frames at @rate in 10 ms reads; returns the last verdict. */
static uint32_t feed(struct pcm_rate *r, double rate, int seconds, int64_t *t)
{
    uint32_t verdict = 0;
    double owed = 0;
    for (int i = 0; i < seconds * 100; i++) {
        *t += 10 * MS;
        owed += rate / 100.0;
        size_t n = (size_t)owed;
        owed -= n;
        uint32_t v = pcm_rate_feed(r, n, *t);
        if (v)
            verdict = v;
    }
    return verdict;
}

static void test_nominal_rate_is_fine(void)
{
    struct pcm_rate r;
    pcm_rate_init(&r, 48000, 2 * G_USEC_PER_SEC);
    int64_t t = 1;
    g_assert_cmpuint(feed(&r, 48000, 7, &t), ==, 0);
    /* Clock drift of 0.5% is not another rate. */
    g_assert_cmpuint(feed(&r, 48240, 7, &t), ==, 0);
}

static void test_other_standard_rate_detected(void)
{
    struct pcm_rate r;
    pcm_rate_init(&r, 48000, 2 * G_USEC_PER_SEC);
    int64_t t = 1;
    g_assert_cmpuint(feed(&r, 44100, 5, &t), ==, 44100);
    pcm_rate_reset(&r);
    g_assert_cmpuint(feed(&r, 16000, 5, &t), ==, 16000);
}

static void test_no_verdict_for_odd_or_short_input(void)
{
    struct pcm_rate r;
    pcm_rate_init(&r, 48000, 2 * G_USEC_PER_SEC);
    int64_t t = 1;
    /* Not a standard rate: no conversion guess. */
    g_assert_cmpuint(feed(&r, 37000, 5, &t), ==, 0);
    /* Less than one window. */
    pcm_rate_reset(&r);
    g_assert_cmpuint(feed(&r, 44100, 1, &t), ==, 0);
    /* Empty reads change nothing; a time going backwards restarts. */
    g_assert_cmpuint(pcm_rate_feed(&r, 0, t), ==, 0);
    g_assert_cmpuint(pcm_rate_feed(&r, 441, t - 5 * G_USEC_PER_SEC), ==, 0);
}

static void test_pauses_are_not_slowness(void)
{
    struct pcm_rate r;
    pcm_rate_init(&r, 48000, 2 * G_USEC_PER_SEC);
    int64_t t = 1;
    /* 48 kHz in bursts of 1 s with 1 s pauses: the average is 24 kHz, a
     * standard rate, but each burst restarts the window. */
    for (int i = 0; i < 5; i++) {
        g_assert_cmpuint(feed(&r, 48000, 1, &t), ==, 0);
        t += G_USEC_PER_SEC;
    }
    /* A first read of a big backlog does not count as speed. */
    pcm_rate_reset(&r);
    g_assert_cmpuint(pcm_rate_feed(&r, 4096, t), ==, 0);
    g_assert_cmpuint(feed(&r, 48000, 3, &t), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pcm-rate/nominal", test_nominal_rate_is_fine);
    g_test_add_func("/pcm-rate/other-standard-rate", test_other_standard_rate_detected);
    g_test_add_func("/pcm-rate/odd-or-short", test_no_verdict_for_odd_or_short_input);
    g_test_add_func("/pcm-rate/pauses", test_pauses_are_not_slowness);
    return g_test_run();
}
