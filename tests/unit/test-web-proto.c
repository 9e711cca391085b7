/* web-proto: the page's messages, well-formed and hostile (malformed,
 * truncated, unknown, oversized, wrong order), and the agent's layouts. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "agent/web/web-proto.h"

static int parse(const uint8_t *buf, size_t len, struct web_page_msg *m)
{
    const char *why = "unset";
    int rc = web_proto_parse(buf, len, m, &why);
    if (rc < 0)
        g_assert_nonnull(why);
    else
        g_assert_null(why);
    return rc;
}

static void test_caps(void)
{
    const uint8_t ok[] = {0x80, 1, 0x05, 0x80, 0x07, 0x38, 0x04};
    struct web_page_msg m;
    g_assert_cmpint(parse(ok, sizeof(ok), &m), ==, 0);
    g_assert_cmpuint(m.type, ==, WEB_PAGE_CAPS);
    g_assert_cmpuint(m.u.caps.flags, ==, 5);
    g_assert_cmpuint(m.u.caps.width, ==, 1920);
    g_assert_cmpuint(m.u.caps.height, ==, 1080);
    const uint8_t v2[] = {0x80, 2, 0, 0, 0, 0, 0};
    g_assert_cmpint(parse(v2, sizeof(v2), &m), ==, -EPROTO);
    const uint8_t half[] = {0x80, 1, 0, 0x10, 0, 0, 0};
    g_assert_cmpint(parse(half, sizeof(half), &m), ==, -EPROTO);
    /* truncated and overlong */
    for (size_t n = 1; n < sizeof(ok); n++)
        g_assert_cmpint(parse(ok, n, &m), ==, -EPROTO);
    uint8_t longer[8] = {0x80, 1, 0, 0, 0, 0, 0, 0};
    g_assert_cmpint(parse(longer, sizeof(longer), &m), ==, -EPROTO);
}

static void test_key(void)
{
    struct web_page_msg m;
    const uint8_t ok[] = {0x82, 1, 4, 'K', 'e', 'y', 'A'};
    g_assert_cmpint(parse(ok, sizeof(ok), &m), ==, 0);
    g_assert_true(m.u.key.down);
    g_assert_cmpstr(m.u.key.code, ==, "KeyA");
    const uint8_t state[] = {0x82, 2, 4, 'K', 'e', 'y', 'A'};
    g_assert_cmpint(parse(state, sizeof(state), &m), ==, -EPROTO);
    const uint8_t shortlen[] = {0x82, 0, 5, 'K', 'e', 'y', 'A'};
    g_assert_cmpint(parse(shortlen, sizeof(shortlen), &m), ==, -EPROTO);
    const uint8_t longlen[] = {0x82, 0, 3, 'K', 'e', 'y', 'A'};
    g_assert_cmpint(parse(longlen, sizeof(longlen), &m), ==, -EPROTO);
    const uint8_t empty[] = {0x82, 0, 0};
    g_assert_cmpint(parse(empty, sizeof(empty), &m), ==, -EPROTO);
    const uint8_t bad[] = {0x82, 0, 2, 'A', '\0'};
    g_assert_cmpint(parse(bad, sizeof(bad), &m), ==, -EPROTO);
    uint8_t big[3 + 33];
    big[0] = 0x82, big[1] = 1, big[2] = 33;
    memset(big + 3, 'A', 33);
    g_assert_cmpint(parse(big, sizeof(big), &m), ==, -EPROTO);
    big[2] = 32;
    g_assert_cmpint(parse(big, sizeof(big) - 1, &m), ==, 0);
    g_assert_cmpuint(strlen(m.u.key.code), ==, 32);
}

static void test_fixed_sizes(void)
{
    struct web_page_msg m;
    const uint8_t ack[] = {0x81, 7, 0, 0, 0, 0x10, 0x27, 0, 0};
    g_assert_cmpint(parse(ack, sizeof(ack), &m), ==, 0);
    g_assert_cmpuint(m.u.ack.frame, ==, 7);
    g_assert_cmpuint(m.u.ack.decode_us, ==, 10000);
    const uint8_t ptr[] = {0x83, 10, 0, 20, 0, 0x05, 0xff, 1};
    g_assert_cmpint(parse(ptr, sizeof(ptr), &m), ==, 0);
    g_assert_cmpuint(m.u.pointer.x, ==, 10);
    g_assert_cmpuint(m.u.pointer.y, ==, 20);
    g_assert_cmpuint(m.u.pointer.buttons, ==, 5);
    g_assert_cmpint(m.u.pointer.wheel_x, ==, -1);
    g_assert_cmpint(m.u.pointer.wheel_y, ==, 1);
    const uint8_t ptr_bad[] = {0x83, 10, 0, 20, 0, 0x20, 0, 0};
    g_assert_cmpint(parse(ptr_bad, sizeof(ptr_bad), &m), ==, -EPROTO);
    const uint8_t resize0[] = {0x85, 0, 0, 0x10, 0};
    g_assert_cmpint(parse(resize0, sizeof(resize0), &m), ==, -EPROTO);
    const uint8_t leds[] = {0x88, 0x07};
    g_assert_cmpint(parse(leds, sizeof(leds), &m), ==, 0);
    const uint8_t leds_bad[] = {0x88, 0x08};
    g_assert_cmpint(parse(leds_bad, sizeof(leds_bad), &m), ==, -EPROTO);
    const uint8_t ping[] = {0x89, 1, 2, 3, 4};
    g_assert_cmpint(parse(ping, sizeof(ping), &m), ==, 0);
    g_assert_cmpuint(m.u.ping.token, ==, 0x04030201);
    const uint8_t rel[] = {0x8a};
    g_assert_cmpint(parse(rel, sizeof(rel), &m), ==, 0);
    const uint8_t rel_long[] = {0x8a, 0};
    g_assert_cmpint(parse(rel_long, sizeof(rel_long), &m), ==, -EPROTO);
    const uint8_t stats[13] = {0x87};
    g_assert_cmpint(parse(stats, sizeof(stats), &m), ==, 0);
    g_assert_cmpint(parse(stats, 12, &m), ==, -EPROTO);
}

static void test_variable(void)
{
    struct web_page_msg m;
    const uint8_t clip[] = {0x84, 1, 'h', 'i'};
    g_assert_cmpint(parse(clip, sizeof(clip), &m), ==, 0);
    g_assert_cmpuint(m.u.clipboard.kind, ==, WEB_CLIPBOARD_TEXT);
    g_assert_cmpuint(m.u.clipboard.len, ==, 2);
    g_assert_true(memcmp(m.u.clipboard.data, "hi", 2) == 0);
    const uint8_t clip_kind[] = {0x84, 3, 'h'};
    g_assert_cmpint(parse(clip_kind, sizeof(clip_kind), &m), ==, -EPROTO);
    const uint8_t clip_short[] = {0x84};
    g_assert_cmpint(parse(clip_short, sizeof(clip_short), &m), ==, -EPROTO);
    const uint8_t mic[] = {0x86, 0, 0, 0, 0, 0xf8};
    g_assert_cmpint(parse(mic, sizeof(mic), &m), ==, 0);
    g_assert_cmpuint(m.u.mic.len, ==, 1);
    g_assert_cmpint(parse(mic, 5, &m), ==, -EPROTO);
}

static void test_unknown_oversized_empty(void)
{
    struct web_page_msg m;
    for (unsigned t = 0; t < 256; t++) {
        uint8_t b = (uint8_t)t;
        int rc = parse(&b, 1, &m);
        if (t < 0x80 || t > 0x8a)
            g_assert_cmpint(rc, ==, -ENOTSUP);
    }
    g_assert_cmpint(parse(NULL, 0, &m), ==, -EPROTO);
    size_t n = WEB_PAGE_MAX_MESSAGE + 1;
    uint8_t *big = g_malloc0(n);
    big[0] = 0x84;
    big[1] = 1;
    g_assert_cmpint(parse(big, n, &m), ==, -EMSGSIZE);
    g_assert_cmpint(parse(big, n - 1, &m), ==, 0);
    g_assert_cmpuint(m.u.clipboard.len, ==, 1u << 20);
    g_free(big);
}

static void test_order(void)
{
    g_assert_true(web_proto_order_ok(false, WEB_PAGE_CAPS));
    g_assert_false(web_proto_order_ok(false, WEB_PAGE_KEY));
    g_assert_false(web_proto_order_ok(false, WEB_PAGE_ACK));
    g_assert_false(web_proto_order_ok(true, WEB_PAGE_CAPS));
    g_assert_true(web_proto_order_ok(true, WEB_PAGE_KEY));
    g_assert_true(web_proto_is_input(WEB_PAGE_KEY));
    g_assert_true(web_proto_is_input(WEB_PAGE_POINTER));
    g_assert_false(web_proto_is_input(WEB_PAGE_ACK));
    g_assert_cmpstr(web_proto_page_name(WEB_PAGE_RELEASE_ALL), ==, "RELEASE_ALL");
    g_assert_cmpstr(web_proto_page_name(0x42), ==, "unknown");
}

static void check_bytes(GBytes *b, const uint8_t *want, size_t n)
{
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    g_assert_cmpuint(len, ==, n);
    g_assert_true(memcmp(p, want, n) == 0);
    g_bytes_unref(b);
}

static void test_agent_messages(void)
{
    const uint8_t hello[] = {0x01, 1, 0x09, 0x80, 0x02, 0xe0, 0x01, 0, 0};
    check_bytes(web_proto_hello(9, 640, 480), hello, sizeof(hello));
    const uint8_t tile[] = {0x03, 2, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0, 0, 'x', 'y'};
    check_bytes(web_proto_tile(2, 1, 2, 3, 4, 5, (const uint8_t *)"xy", 2), tile, sizeof(tile));
    const uint8_t copy[] = {0x04, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0, 0};
    check_bytes(web_proto_copy(1, 2, 3, 4, 5, 6, 7), copy, sizeof(copy));
    const uint8_t end[] = {0x05, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80};
    check_bytes(web_proto_frame_end(9, 0x8000000000000001ull), end, sizeof(end));
    const uint8_t rgba[4] = {1, 2, 3, 4};
    const uint8_t cursor[] = {0x06, 1, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    check_bytes(web_proto_cursor(1, 1, 0, 0, rgba), cursor, sizeof(cursor));
    const uint8_t hidden[] = {0x06, 0, 0, 0, 0, 0, 0, 0, 0};
    check_bytes(web_proto_cursor(5, 5, 0, 0, NULL), hidden, sizeof(hidden));
    const uint8_t bye[] = {0x0c, 1, 'G', 'o'};
    check_bytes(web_proto_bye(1, "Go"), bye, sizeof(bye));
    const uint8_t pong[] = {0x0d, 4, 3, 2, 1};
    check_bytes(web_proto_pong(0x01020304), pong, sizeof(pong));
    const uint8_t leds[] = {0x0b, 6};
    check_bytes(web_proto_leds(6), leds, sizeof(leds));
    const uint8_t clip[] = {0x0a, 1, 'a'};
    check_bytes(web_proto_clipboard(1, (const uint8_t *)"a", 1), clip, sizeof(clip));
    const uint8_t audio[] = {0x09, 0xe0, 0x01, 0, 0, 7};
    check_bytes(web_proto_audio(480, (const uint8_t *)"\x07", 1), audio, sizeof(audio));
    const uint8_t size[] = {0x02, 0xff, 0xff, 0, 0};
    check_bytes(web_proto_desktop_size(70000, -3), size, sizeof(size));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-proto/caps", test_caps);
    g_test_add_func("/web-proto/key", test_key);
    g_test_add_func("/web-proto/fixed-sizes", test_fixed_sizes);
    g_test_add_func("/web-proto/variable", test_variable);
    g_test_add_func("/web-proto/unknown-oversized-empty", test_unknown_oversized_empty);
    g_test_add_func("/web-proto/order", test_order);
    g_test_add_func("/web-proto/agent-messages", test_agent_messages);
    return g_test_run();
}
