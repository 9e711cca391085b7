/* The control socket's request parser and reply writer, fed malformed,
 * truncated, oversized and hostile lines. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "agent/control-proto.h"

static void expect_error(const char *line, size_t len, const char *needle)
{
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(line, len, &r, &err), ==, -EINVAL);
    g_assert_nonnull(err);
    if (!strstr(err, needle))
        g_error("error '%s' for '%.*s' does not mention '%s'", err, (int)MIN(len, 80), line,
                needle);
    g_assert_null(r.command);
    g_assert_null(r.args);
    g_free(err);
    control_request_clear(&r);
}

static void test_valid(void)
{
    const char *line = "{\"command\": \"set-password\", \"password\": \"pw\", \"expires\": 30, "
                       "\"id\": 7}";
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(line, strlen(line), &r, &err), ==, 0);
    g_assert_null(err);
    g_assert_cmpstr(r.command, ==, "set-password");
    g_assert_nonnull(r.id);
    g_assert_cmpint(json_node_get_int(r.id), ==, 7);
    g_autofree char *pw = NULL;
    int64_t expires = -1;
    g_assert_cmpint(control_parse_set_password(r.args, &pw, &expires, &err), ==, 0);
    g_assert_cmpstr(pw, ==, "pw");
    g_assert_cmpint(expires, ==, 30);
    control_request_clear(&r);

    /* Not nul-terminated: only @len bytes count. */
    const char buf[] = "{\"command\":\"status\"}garbage";
    g_assert_cmpint(control_request_parse(buf, 20, &r, &err), ==, 0);
    g_assert_cmpstr(r.command, ==, "status");
    g_assert_null(r.id);
    control_request_clear(&r);
}

static void test_malformed(void)
{
    expect_error("", 0, "JSON object");
    expect_error("{", 1, "malformed JSON");
    expect_error("{\"command\": \"stat", 17, "malformed JSON");
    expect_error("{bad json", 9, "malformed JSON");
    expect_error("[1,2]", 5, "JSON object");
    expect_error("\"status\"", 8, "JSON object");
    expect_error("42", 2, "JSON object");
    expect_error("null", 4, "JSON object");
    expect_error("{}", 2, "missing \"command\"");
    expect_error("{\"command\": 5}", 14, "missing \"command\"");
    expect_error("{\"command\": null}", 17, "missing \"command\"");
    expect_error("{\"command\": [\"status\"]}", 23, "missing \"command\"");
    expect_error("{\"command\": \"\"}", 15, "invalid command name");
    expect_error("{\"command\": \"Status\"}", 21, "invalid command name");
    expect_error("{\"command\": \"st atus\"}", 22, "invalid command name");
    expect_error("{\"command\": \"st\\tx\"}", 20, "invalid command name");
    expect_error("{\"command\":\"status\"}\0{}", 23, "NUL");
    expect_error("{\"command\": \"\xff\xfe\"}", 17, "UTF-8");
}

static void test_id_survives_errors(void)
{
    const char *line = "{\"id\": \"abc\", \"command\": 3}";
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(line, strlen(line), &r, &err), ==, -EINVAL);
    g_assert_nonnull(r.id);
    g_autofree char *reply = control_reply_error(r.id, err);
    g_assert_cmpstr(reply, ==, "{\"ok\":false,\"id\":\"abc\",\"error\":\"missing \\\"command\\\" (a string)\"}\n");
    g_free(err);
    control_request_clear(&r);
}

static void test_oversized(void)
{
    /* Too long: refused before parsing. */
    size_t n = CONTROL_MAX_LINE + 1;
    char *big = g_malloc(n);
    memset(big, ' ', n);
    memcpy(big, "{\"command\":\"status\"}", 20);
    expect_error(big, n, "too long");
    g_free(big);

    /* Deep nesting would make the parser recurse: refused. */
    GString *deep = g_string_new("{\"command\":\"status\",\"x\":");
    for (int i = 0; i < 10000; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 10000; i++)
        g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    expect_error(deep->str, deep->len, "nested");
    g_string_free(deep, TRUE);

    /* Brackets inside strings do not count. */
    const char *s = "{\"command\":\"status\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[[[[[\"}";
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(s, strlen(s), &r, &err), ==, 0);
    control_request_clear(&r);
}

static void expect_pw_error(const char *line, const char *needle)
{
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(line, strlen(line), &r, &err), ==, 0);
    char *pw = NULL;
    int64_t expires = 0;
    g_assert_cmpint(control_parse_set_password(r.args, &pw, &expires, &err), ==, -EINVAL);
    g_assert_null(pw);
    if (!strstr(err, needle))
        g_error("error '%s' does not mention '%s'", err, needle);
    g_free(err);
    control_request_clear(&r);
}

static void test_set_password_args(void)
{
    expect_pw_error("{\"command\":\"set-password\"}", "needs \"password\"");
    expect_pw_error("{\"command\":\"set-password\",\"password\":1}", "needs \"password\"");
    expect_pw_error("{\"command\":\"set-password\",\"password\":\"\"}", "1 to 60");
    expect_pw_error("{\"command\":\"set-password\",\"password\":"
                    "\"0123456789012345678901234567890123456789012345678901234567890\"}",
                    "1 to 60");
    expect_pw_error("{\"command\":\"set-password\",\"password\":\"x\",\"expires\":-1}", "expires");
    expect_pw_error("{\"command\":\"set-password\",\"password\":\"x\",\"expires\":1.5}", "whole");
    expect_pw_error("{\"command\":\"set-password\",\"password\":\"x\",\"expires\":\"10\"}", "whole");
    expect_pw_error("{\"command\":\"set-password\",\"password\":\"x\",\"expires\":99999999999}",
                    "expires");
    /* No expiry, or null: never expires. */
    const char *ok = "{\"command\":\"set-password\",\"password\":\"x\",\"expires\":null}";
    struct control_request r;
    char *err = NULL;
    g_assert_cmpint(control_request_parse(ok, strlen(ok), &r, &err), ==, 0);
    g_autofree char *pw = NULL;
    int64_t expires = -1;
    g_assert_cmpint(control_parse_set_password(r.args, &pw, &expires, &err), ==, 0);
    g_assert_cmpint(expires, ==, 0);
    control_request_clear(&r);
}

static void test_replies(void)
{
    g_autoptr(JsonObject) fields = json_object_new();
    json_object_set_int_member(fields, "width", 800);
    g_autofree char *ok = control_reply_ok(NULL, fields);
    g_assert_cmpstr(ok, ==, "{\"ok\":true,\"width\":800}\n");
    g_autofree char *ev = control_event_line("resize", fields);
    g_assert_cmpstr(ev, ==, "{\"event\":\"resize\",\"width\":800}\n");
    /* Control characters in messages stay escaped on one line. */
    g_autofree char *err = control_reply_error(NULL, "bad\nline");
    g_assert_cmpstr(err, ==, "{\"ok\":false,\"error\":\"bad\\nline\"}\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/control-proto/valid", test_valid);
    g_test_add_func("/control-proto/malformed", test_malformed);
    g_test_add_func("/control-proto/id-survives-errors", test_id_survives_errors);
    g_test_add_func("/control-proto/oversized", test_oversized);
    g_test_add_func("/control-proto/set-password-args", test_set_password_args);
    g_test_add_func("/control-proto/replies", test_replies);
    return g_test_run();
}
