/* session-proto: the messages on session.sock, well-formed and malformed. */
#include <glib.h>
#include <string.h>

#include "agent/system/session-proto.h"

static bool parse(const char *text, struct session_msg *m, const char **why)
{
    return session_proto_parse((const uint8_t *)text, strlen(text), m, why);
}

static void refused(const char *text, const char *expected_why)
{
    struct session_msg m;
    const char *why = NULL;
    g_assert_false(parse(text, &m, &why));
    g_assert_cmpstr(why, ==, expected_why);
    g_assert_null(m.name);
    g_assert_null(m.session);
    g_assert_null(m.reason);
}

static void test_well_formed(void)
{
    struct session_msg m;
    const char *why = NULL;
    g_assert_true(parse("hello version=1", &m, &why));
    g_assert_cmpint(m.type, ==, SESSION_MSG_HELLO);
    g_assert_cmpuint(m.version, ==, 1);
    session_msg_clear(&m);

    g_assert_true(parse("file-open id=7 name=r%C3%A9sum%C3%A9%20(2).pdf future=yes", &m, &why));
    g_assert_cmpint(m.type, ==, SESSION_MSG_FILE_OPEN);
    g_assert_cmpuint(m.id, ==, 7);
    g_assert_cmpstr(m.name, ==, "résumé (2).pdf");
    session_msg_clear(&m);

    g_assert_true(parse("listening on=1", &m, &why));
    g_assert_cmpint(m.type, ==, SESSION_MSG_LISTENING);
    g_assert_cmpuint(m.on, ==, 1);
    session_msg_clear(&m);

    g_assert_true(parse("file-error id=4294967295 err=28", &m, &why));
    g_assert_cmpuint(m.id, ==, G_MAXUINT32);
    g_assert_cmpint(m.err, ==, 28);
    session_msg_clear(&m);

    /* Keys a type does not have are ignored, not kept. */
    g_assert_true(parse("hello version=2 name=x id=3", &m, &why));
    g_assert_null(m.name);
    g_assert_cmpuint(m.id, ==, 0);
    session_msg_clear(&m);

    static const uint8_t pcm[] = {'p', 'c', 'm', '\n', 1, 2, 3, 4, 5, 6, 7, 8};
    g_assert_true(session_proto_parse(pcm, sizeof(pcm), &m, &why));
    g_assert_cmpint(m.type, ==, SESSION_MSG_PCM);
    g_assert_cmpuint(m.payload_len, ==, 8);
    g_assert_true(m.payload == pcm + 4);
    session_msg_clear(&m);
}

static void test_malformed(void)
{
    refused("", "empty message");
    refused("bogus id=1", "unknown message type");
    refused("Hello version=1", "unknown message type");
    refused("hello", "a required key is missing");
    refused("hello version=0", "version 0");
    refused("hello version=-1", "a number out of range");
    refused("hello version=4294967296", "a number out of range");
    refused("hello version=99999999999", "a number out of range");
    refused("hello version=1x", "a number out of range");
    refused("hello version=", "a number out of range");
    refused("hello  version=1", "an empty word (two spaces)");
    refused("hello version=1\n", "a payload on a message that has none");
    refused("file-open id=1", "a required key is missing");
    refused("file-open name=a id=1 name=", "not a plain file name");
    refused("file-open id=1 name=..", "not a plain file name");
    refused("file-open id=1 name=a%2Fb", "not a plain file name");
    refused("file-open id=1 name=..%2F..%2Fetc%2Fpasswd", "not a plain file name");
    refused("file-open id=1 name=a%0Ab", "a badly escaped value");
    refused("file-open id=1 name=%FF%FE", "a badly escaped value");
    refused("file-open id=1 name=%zz", "a badly escaped value");
    refused("file-open id=1 name=a%01", "not a plain file name");
    refused("file-error id=1 err=0", "an errno out of range");
    refused("file-error id=1 err=5000", "an errno out of range");
    refused("audio on=2", "on= must be 0 or 1");
    refused("listening", "a required key is missing");
    refused("welcome\tsession=c1", "a byte that is not printable ASCII in the head");
    refused("pcm\n\x01\x02\x03", "a payload that is not whole stereo S16 frames");

    g_autofree char *long_head = g_strnfill(SESSION_PROTO_MAX_HEAD + 1, 'a');
    refused(long_head, "head too long");
    g_autofree char *n256 = g_strnfill(256, 'n');
    g_autofree char *long_name = g_strdup_printf("file-open id=1 name=%s", n256);
    refused(long_name, "not a plain file name");

    /* Binary zeros in the head; a datagram over the limit. */
    static const uint8_t nul[] = {'h', 'e', 'l', 'l', 'o', 0, '1'};
    struct session_msg m;
    const char *why;
    g_assert_false(session_proto_parse(nul, sizeof(nul), &m, &why));
    g_autofree uint8_t *big = g_malloc0(SESSION_PROTO_MAX_MESSAGE + 1);
    memcpy(big, "pcm\n", 4);
    g_assert_false(session_proto_parse(big, SESSION_PROTO_MAX_MESSAGE + 1, &m, &why));
    g_assert_cmpstr(why, ==, "message too long");
}

static void test_round_trip(void)
{
    struct session_msg out = {.type = SESSION_MSG_FILE_KEPT, .id = 9, .name = "a b%c.txt"};
    size_t len;
    g_autofree uint8_t *buf = session_proto_format(&out, &len);
    g_assert_nonnull(buf);
    struct session_msg in;
    const char *why;
    g_assert_true(session_proto_parse(buf, len, &in, &why));
    g_assert_cmpint(in.type, ==, SESSION_MSG_FILE_KEPT);
    g_assert_cmpuint(in.id, ==, 9);
    g_assert_cmpstr(in.name, ==, "a b%c.txt");
    session_msg_clear(&in);

    struct session_msg reason = {.type = SESSION_MSG_REFUSED, .reason = "uid 1001 is not alice"};
    g_autofree uint8_t *rbuf = session_proto_format(&reason, &len);
    g_assert_true(session_proto_parse(rbuf, len, &in, &why));
    g_assert_cmpstr(in.reason, ==, "uid 1001 is not alice");
    session_msg_clear(&in);

    /* What cannot be sent is not formatted. */
    struct session_msg bad = {.type = SESSION_MSG_FILE_OPEN, .id = 1, .name = "../x"};
    g_assert_null(session_proto_format(&bad, &len));
    uint8_t frames[6] = {0};
    struct session_msg odd = {.type = SESSION_MSG_PCM, .payload = frames, .payload_len = 6};
    g_assert_null(session_proto_format(&odd, &len));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/session-proto/well-formed", test_well_formed);
    g_test_add_func("/session-proto/malformed", test_malformed);
    g_test_add_func("/session-proto/round-trip", test_round_trip);
    return g_test_run();
}
