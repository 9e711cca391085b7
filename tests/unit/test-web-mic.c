/* web-mic: the page's MIC messages through web-proto's parser and the
 * decoder: valid packets reach the microphone, bad ones are refused,
 * counted, and logged at most once every 10 s. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "agent/pcm-opus.h"
#include "agent/web/web-mic.h"

static size_t frames_seen;

static void on_pcm(const uint32_t *frames, size_t n, void *data)
{
    (void)frames;
    (void)data;
    frames_seen += n;
}

static int feed(struct web_mic *m, const uint8_t *opus, size_t len, int64_t now)
{
    uint8_t msg[PCM_OPUS_MAX_PACKET + 16] = {0x86, 1, 2, 3, 4};
    g_assert_cmpuint(len + 5, <=, sizeof(msg));
    memcpy(msg + 5, opus, len);
    struct web_page_msg pm;
    const char *why = NULL;
    g_assert_cmpint(web_proto_parse(msg, len + 5, &pm, &why), ==, 0);
    g_assert_cmpuint(pm.u.mic.timestamp, ==, 0x04030201);
    return web_mic_packet(m, &pm, "192.0.2.1:5555", now);
}

static void test_valid_and_refused(void)
{
    char *error = NULL;
    struct web_mic *m = web_mic_create(on_pcm, NULL, &error);
    g_assert_nonnull(m);
    frames_seen = 0;
    const uint8_t ok[] = {0xfc, 0xff, 0xfe};   /* 20 ms CELT */
    const uint8_t mono[] = {0xf8, 0xff, 0xfe}; /* the same, mono: decoded to stereo */
    g_assert_cmpint(feed(m, ok, sizeof(ok), 1000), ==, 0);
    g_assert_cmpint(feed(m, mono, sizeof(mono), 1000), ==, 0);
    g_assert_cmpuint(frames_seen, ==, 2 * 960);

    /* The first refusal is logged at once, the next ones within 10 s only
     * as a count in the following line. */
    const uint8_t bad[] = {0xfb, 0x00};
    g_test_expect_message("thindesk-agent", G_LOG_LEVEL_WARNING,
                          "web: refused 1 microphone packet(s) from 192.0.2.1:5555*");
    g_assert_cmpint(feed(m, bad, sizeof(bad), 2000), ==, -EINVAL);
    g_test_assert_expected_messages();
    for (int i = 0; i < 100; i++)
        g_assert_cmpint(feed(m, bad, sizeof(bad), 3000 + i), ==, -EINVAL);
    /* An empty packet (web-proto refuses the message already; here directly). */
    struct web_page_msg empty = {.type = WEB_PAGE_MIC};
    g_assert_cmpint(web_mic_packet(m, &empty, "192.0.2.1:5555", 4000), ==, -EINVAL);
    uint8_t big[PCM_OPUS_MAX_PACKET + 1];
    memset(big, 0xfc, sizeof(big));
    g_assert_cmpint(feed(m, big, sizeof(big), 5000), ==, -EMSGSIZE);
    g_test_expect_message("thindesk-agent", G_LOG_LEVEL_WARNING,
                          "web: refused 103 microphone packet(s) from 192.0.2.1:5555 (the last: "
                          "not a valid Opus packet; 104 so far)");
    g_assert_cmpint(feed(m, bad, sizeof(bad), 2000 + WEB_MIC_LOG_INTERVAL_US), ==, -EINVAL);
    g_test_assert_expected_messages();

    struct web_mic_stats st;
    web_mic_get_stats(m, &st);
    g_assert_cmpuint(st.packets, ==, 2);
    g_assert_cmpuint(st.bytes, ==, 6);
    g_assert_cmpuint(st.refused, ==, 104);
    g_assert_cmpuint(st.logged, ==, 2);
    /* Still decoding after the refusals. */
    g_assert_cmpint(feed(m, ok, sizeof(ok), 6000), ==, 0);
    g_assert_cmpuint(frames_seen, ==, 3 * 960);
    web_mic_destroy(m);
    web_mic_destroy(NULL);
}

static void test_wrong_type(void)
{
    char *error = NULL;
    struct web_mic *m = web_mic_create(on_pcm, NULL, &error);
    struct web_page_msg pm = {.type = WEB_PAGE_PING};
    g_test_expect_message("thindesk-agent", G_LOG_LEVEL_WARNING, "*not a MIC message*");
    g_assert_cmpint(web_mic_packet(m, &pm, NULL, 1), ==, -EINVAL);
    g_test_assert_expected_messages();
    web_mic_destroy(m);
}

/* A MIC message with no packet at all (type and timestamp only) or a
 * truncated timestamp never parses; an empty packet handed over anyway is
 * refused. */
static void test_header_only(void)
{
    const uint8_t msg[] = {0x86, 0, 0, 0, 0};
    struct web_page_msg pm;
    const char *why = NULL;
    for (size_t len = 1; len <= sizeof(msg); len++)
        g_assert_cmpint(web_proto_parse(msg, len, &pm, &why), ==, -EPROTO);
    char *error = NULL;
    struct web_mic *m = web_mic_create(on_pcm, NULL, &error);
    struct web_page_msg empty = {.type = WEB_PAGE_MIC};
    g_test_expect_message("thindesk-agent", G_LOG_LEVEL_WARNING, "*an empty Opus packet*");
    g_assert_cmpint(web_mic_packet(m, &empty, NULL, 1), ==, -EINVAL);
    g_test_assert_expected_messages();
    web_mic_destroy(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-mic/valid-and-refused", test_valid_and_refused);
    g_test_add_func("/web-mic/wrong-type", test_wrong_type);
    g_test_add_func("/web-mic/header-only", test_header_only);
    return g_test_run();
}
