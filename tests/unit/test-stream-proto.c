/* stream-proto: framing of the stream device messages, malformed and
 * out-of-order input from the server side. */
#include <glib.h>
#include <spice/enums.h>
#include <spice/stream-device.h>
#include <string.h>

#include "agent/stream-proto.h"

struct log {
    GPtrArray *lines;
};

static void on_event(const struct stream_proto_event *ev, void *data)
{
    struct log *log = data;
    char *line = NULL;
    switch (ev->type) {
    case STREAM_PROTO_CAPABILITIES:
        line = g_strdup_printf("caps %zu", ev->caps_len);
        break;
    case STREAM_PROTO_START: {
        GString *s = g_string_new("start");
        for (int i = 0; i < ev->n_codecs; i++)
            g_string_append_printf(s, " %u", ev->codecs[i]);
        line = g_string_free(s, FALSE);
        break;
    }
    case STREAM_PROTO_STOP:
        line = g_strdup("stop");
        break;
    case STREAM_PROTO_NOTIFY_ERROR:
        line = g_strdup_printf("error %u %s", ev->error_code, ev->text);
        break;
    case STREAM_PROTO_INVALID:
        line = g_strdup_printf("invalid %s", ev->text);
        break;
    }
    g_ptr_array_add(log->lines, line);
}

static GByteArray *msg(GByteArray *out, uint8_t version, uint16_t type, const void *body,
                       uint32_t size)
{
    uint8_t h[STREAM_PROTO_HEADER_SIZE];
    stream_proto_put_header(h, type, size);
    h[0] = version;
    g_byte_array_append(out, h, sizeof(h));
    if (body)
        g_byte_array_append(out, body, size);
    return out;
}

/* Feeds @bytes in pieces of @chunk bytes; returns the events as one string. */
static char *run(struct stream_parser *p, GByteArray *bytes, size_t chunk)
{
    struct log log = {g_ptr_array_new_with_free_func(g_free)};
    for (size_t off = 0; off < bytes->len; off += chunk) {
        size_t n = MIN(chunk, bytes->len - off);
        stream_parser_feed(p, bytes->data + off, n, on_event, &log);
    }
    g_ptr_array_add(log.lines, NULL);
    char *joined = g_strjoinv("|", (char **)log.lines->pdata);
    g_ptr_array_free(log.lines, TRUE);
    return joined;
}

static GByteArray *server_session(void)
{
    GByteArray *b = g_byte_array_new();
    uint8_t caps[8] = {0};
    uint8_t start[] = {2, SPICE_VIDEO_CODEC_TYPE_MJPEG, SPICE_VIDEO_CODEC_TYPE_VP8};
    uint8_t stop[] = {0};
    uint8_t err[] = {7, 0, 0, 0, 'b', 'a', 'd'};
    msg(b, 1, STREAM_TYPE_CAPABILITIES, caps, sizeof(caps));
    msg(b, 1, STREAM_TYPE_START_STOP, start, sizeof(start));
    msg(b, 1, STREAM_TYPE_NOTIFY_ERROR, err, sizeof(err));
    msg(b, 1, STREAM_TYPE_START_STOP, stop, sizeof(stop));
    return b;
}

static void test_framing(void)
{
    struct stream_parser *p = stream_parser_create();
    g_autoptr(GByteArray) b = server_session();
    /* Whole, byte by byte and in odd pieces: the same events. */
    for (size_t chunk = 1; chunk <= b->len; chunk = chunk * 3 + 1) {
        g_autofree char *got = run(p, b, chunk);
        g_assert_cmpstr(got, ==, "caps 8|start 1 2|error 7 bad|stop");
        stream_parser_reset(p);
    }
    stream_parser_destroy(p);
    stream_parser_destroy(NULL);
}

static void test_out_of_order(void)
{
    struct stream_parser *p = stream_parser_create();
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t start[] = {1, SPICE_VIDEO_CODEC_TYPE_MJPEG};
    msg(b, 1, STREAM_TYPE_START_STOP, start, sizeof(start));
    msg(b, 1, STREAM_TYPE_CAPABILITIES, NULL, 0);
    msg(b, 1, STREAM_TYPE_START_STOP, start, sizeof(start));
    g_autofree char *got = run(p, b, b->len);
    g_assert_cmpstr(got, ==, "invalid START_STOP before CAPABILITIES, refused|caps 0|start 1");
    /* A reopened port needs capabilities again. */
    stream_parser_reset(p);
    g_autoptr(GByteArray) again = g_byte_array_new();
    msg(again, 1, STREAM_TYPE_START_STOP, start, sizeof(start));
    g_autofree char *got2 = run(p, again, 3);
    g_assert_cmpstr(got2, ==, "invalid START_STOP before CAPABILITIES, refused");
    stream_parser_destroy(p);
}

static void test_malformed(void)
{
    struct stream_parser *p = stream_parser_create();
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t caps[1] = {0};
    uint8_t big[2000] = {0};
    uint8_t lying[] = {5, 1}; /* says 5 codecs, has 1 */
    uint8_t start[] = {1, SPICE_VIDEO_CODEC_TYPE_MJPEG};
    msg(b, 2, STREAM_TYPE_CAPABILITIES, caps, 1);          /* wrong version */
    msg(b, 1, STREAM_TYPE_CAPABILITIES, big, sizeof(big)); /* too large */
    msg(b, 1, STREAM_TYPE_CAPABILITIES, caps, 1);
    msg(b, 1, STREAM_TYPE_START_STOP, NULL, 0);              /* empty */
    msg(b, 1, STREAM_TYPE_START_STOP, lying, sizeof(lying)); /* count mismatch */
    msg(b, 1, STREAM_TYPE_DATA, big, 100);                   /* guest-only type */
    msg(b, 1, 0x7777, big, 3);                               /* unknown type */
    msg(b, 1, STREAM_TYPE_NOTIFY_ERROR, big, 2);             /* shorter than its code */
    msg(b, 1, STREAM_TYPE_START_STOP, start, sizeof(start)); /* still in sync */
    g_autofree char *got = run(p, b, 7);
    g_test_message("%s", got);
    g_auto(GStrv) ev = g_strsplit(got, "|", -1);
    g_assert_cmpint(g_strv_length(ev), ==, 9);
    g_assert_nonnull(strstr(ev[0], "protocol version 2"));
    g_assert_nonnull(strstr(ev[1], "2000 bytes"));
    g_assert_cmpstr(ev[2], ==, "caps 1");
    g_assert_nonnull(strstr(ev[3], "type 4 of 0 bytes"));
    g_assert_nonnull(strstr(ev[4], "lists 5 codecs in 1 bytes"));
    g_assert_nonnull(strstr(ev[5], "unexpected stream message type 3"));
    g_assert_nonnull(strstr(ev[6], "type 30583"));
    g_assert_nonnull(strstr(ev[7], "type 5 of 2 bytes"));
    g_assert_cmpstr(ev[8], ==, "start 1");

    /* A header announcing 4 GiB is skipped by counting, never buffered; a
     * truncated header waits for more. */
    stream_parser_reset(p);
    g_autoptr(GByteArray) huge = g_byte_array_new();
    msg(huge, 1, STREAM_TYPE_DATA, NULL, 0xffffffffu);
    g_byte_array_append(huge, big, sizeof(big));
    g_autofree char *got2 = run(p, huge, 512);
    g_assert_nonnull(strstr(got2, "4294967295 bytes skipped"));
    stream_parser_destroy(p);
}

static void test_notify_text(void)
{
    struct stream_parser *p = stream_parser_create();
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t err[] = {0, 0, 0, 0, 'a', 0, 'b'}; /* embedded NUL */
    uint8_t bare[] = {1, 0, 0, 0};             /* no text */
    msg(b, 1, STREAM_TYPE_NOTIFY_ERROR, err, sizeof(err));
    msg(b, 1, STREAM_TYPE_NOTIFY_ERROR, bare, sizeof(bare));
    g_autofree char *got = run(p, b, 5);
    g_assert_cmpstr(got, ==, "error 0 a|error 1 ");
    stream_parser_destroy(p);
}

static void test_builders(void)
{
    uint8_t buf[256];
    g_assert_cmpuint(stream_proto_capabilities(buf, 8), ==, 0);
    g_assert_cmpuint(stream_proto_capabilities(buf, sizeof(buf)), ==, 9);
    g_assert_cmpuint(buf[0], ==, STREAM_DEVICE_PROTOCOL);
    g_assert_cmpuint(buf[2], ==, STREAM_TYPE_CAPABILITIES);
    g_assert_cmpuint(buf[4], ==, 1);

    g_assert_cmpuint(stream_proto_format(buf, sizeof(buf), 1920, 1080, 1), ==, 8 + 12);
    const uint8_t want[] = {1, 0, 2, 0, 12, 0, 0, 0, 0x80, 7, 0, 0, 0x38, 4, 0, 0, 1, 0, 0, 0};
    g_assert_cmpmem(buf, 20, want, sizeof(want));
    g_assert_cmpuint(stream_proto_format(buf, sizeof(buf), 0, 1080, 1), ==, 0);

    g_assert_cmpuint(stream_proto_cursor_move(buf, sizeof(buf), -3, 70000), ==, 16);
    const uint8_t mv[] = {1, 0, 7, 0, 8, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 0x70, 0x11, 1, 0};
    g_assert_cmpmem(buf, 16, mv, sizeof(mv));

    uint32_t px[4] = {0xff000000, 0x80ffffff, 0, 0x11223344};
    size_t n = stream_proto_cursor_set(buf, sizeof(buf), 2, 2, 1, 0, px);
    g_assert_cmpuint(n, ==, stream_proto_cursor_set_size(2, 2));
    g_assert_cmpuint(n, ==, 8 + 12 + 16);
    g_assert_cmpuint(buf[2], ==, STREAM_TYPE_CURSOR_SET);
    g_assert_cmpuint(buf[8 + 8], ==, SPICE_CURSOR_TYPE_ALPHA);
    g_assert_cmpuint(buf[8 + 12 + 12], ==, 0x44);
    g_assert_cmpuint(stream_proto_cursor_set(buf, sizeof(buf), 2000, 1, 0, 0, px), ==, 0);
    g_assert_cmpuint(stream_proto_cursor_set(buf, 20, 2, 2, 0, 0, px), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stream-proto/framing", test_framing);
    g_test_add_func("/stream-proto/out-of-order", test_out_of_order);
    g_test_add_func("/stream-proto/malformed", test_malformed);
    g_test_add_func("/stream-proto/notify-text", test_notify_text);
    g_test_add_func("/stream-proto/builders", test_builders);
    return g_test_run();
}
