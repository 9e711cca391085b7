/* web-login: one-time tokens, sessions, the Cookie header and the /session
 * body, including hostile input. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "agent/web/web-login.h"

#define S ((int64_t)G_USEC_PER_SEC)

static void test_tokens(void)
{
    struct web_login *l = web_login_create();
    web_login_add_token(l, "abcDEF123", 10 * S);
    g_assert_cmpint(web_login_use_token(l, "abcDEF12", 1 * S), ==, -ENOENT);
    g_assert_cmpint(web_login_use_token(l, "abcDEF1234", 1 * S), ==, -ENOENT);
    g_assert_cmpint(web_login_use_token(l, "abcDEF123", 1 * S), ==, 0);
    /* used once: stale */
    g_assert_cmpint(web_login_use_token(l, "abcDEF123", 2 * S), ==, -ESTALE);
    web_login_add_token(l, "short", 5 * S);
    g_assert_cmpint(web_login_use_token(l, "short", 5 * S), ==, -ESTALE); /* expired */
    web_login_destroy(l);
    web_login_destroy(NULL);
}

static void test_bounded(void)
{
    struct web_login *l = web_login_create();
    for (int i = 0; i < WEB_LOGIN_MAX_ENTRIES + 10; i++) {
        g_autofree char *t = g_strdup_printf("tok%d", i);
        web_login_add_token(l, t, 100 * S);
    }
    /* the oldest were dropped, the newest are there */
    g_assert_cmpint(web_login_use_token(l, "tok0", S), ==, -ENOENT);
    g_autofree char *last = g_strdup_printf("tok%d", WEB_LOGIN_MAX_ENTRIES + 9);
    g_assert_cmpint(web_login_use_token(l, last, S), ==, 0);
    web_login_destroy(l);
}

static void test_sessions(void)
{
    struct web_login *l = web_login_create();
    char *id = web_login_new_session(l, 0);
    g_assert_nonnull(id);
    g_assert_cmpuint(strlen(id), ==, 64);
    g_assert_true(web_login_session_valid(l, id, S));
    g_assert_false(web_login_session_valid(l, "00", S));
    /* used at 1 s: valid until 1 s + TTL */
    g_assert_true(web_login_session_valid(l, id, (WEB_SESSION_TTL_S) * S));
    g_assert_false(web_login_session_valid(l, id, (2 * WEB_SESSION_TTL_S + 1) * S));
    char *id2 = web_login_new_session(l, 0);
    g_assert_cmpstr(id, !=, id2);
    web_login_drop_sessions(l);
    g_assert_false(web_login_session_valid(l, id2, S));
    g_free(id);
    g_free(id2);
    web_login_destroy(l);
}

static void test_cookie(void)
{
    char *v;
    v = web_login_cookie_value("a=1; " WEB_COOKIE_NAME "=00ff; b=2", WEB_COOKIE_NAME);
    g_assert_cmpstr(v, ==, "00ff");
    g_free(v);
    v = web_login_cookie_value(WEB_COOKIE_NAME "=abc", WEB_COOKIE_NAME);
    g_assert_cmpstr(v, ==, "abc");
    g_free(v);
    g_assert_null(web_login_cookie_value(NULL, WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value("", WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value(WEB_COOKIE_NAME "=", WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value(WEB_COOKIE_NAME "=ABC", WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value(WEB_COOKIE_NAME "=a b", WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value("x" WEB_COOKIE_NAME "=ab", WEB_COOKIE_NAME));
    g_assert_null(web_login_cookie_value(WEB_COOKIE_NAME "x=ab", WEB_COOKIE_NAME));
    g_autofree char *big = g_strnfill(WEB_SECRET_MAX + 1, 'a');
    g_autofree char *hdr = g_strconcat(WEB_COOKIE_NAME "=", big, NULL);
    g_assert_null(web_login_cookie_value(hdr, WEB_COOKIE_NAME));
    /* a 1 MB header of junk is answered without a match */
    g_autofree char *junk = g_strnfill(1 << 20, ';');
    g_assert_null(web_login_cookie_value(junk, WEB_COOKIE_NAME));
}

static void test_body(void)
{
    char *t = NULL, *p = NULL;
    g_assert_cmpint(web_login_parse_body("t=abc", 5, &t, &p), ==, 0);
    g_assert_cmpstr(t, ==, "abc");
    g_assert_null(p);
    g_free(t);
    g_assert_cmpint(web_login_parse_body("p=a%20b+c%2B", 12, &t, &p), ==, 0);
    g_assert_null(t);
    g_assert_cmpstr(p, ==, "a b c+");
    g_free(p);
    const char *bad[] = {"", "t", "t=", "x=abc", "tt=abc", "t=a&p=b", "t=%", "t=%4", "t=%zz",
                         "t=%00", "=abc"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        t = p = NULL;
        g_assert_cmpint(web_login_parse_body(bad[i], strlen(bad[i]), &t, &p), ==, -EINVAL);
        g_assert_null(t);
        g_assert_null(p);
    }
    g_assert_cmpint(web_login_parse_body("t=a\0b", 5, &t, &p), ==, -EINVAL);
    g_autofree char *longv = g_strnfill(WEB_SECRET_MAX + 1, 'a');
    g_autofree char *longb = g_strconcat("p=", longv, NULL);
    g_assert_cmpint(web_login_parse_body(longb, strlen(longb), &t, &p), ==, -EINVAL);
    g_autofree char *huge = g_strnfill(WEB_LOGIN_BODY_MAX + 1, 'a');
    huge[0] = 't', huge[1] = '=';
    g_assert_cmpint(web_login_parse_body(huge, strlen(huge), &t, &p), ==, -EINVAL);
}

static void test_equal(void)
{
    g_assert_true(web_login_secret_equal("abc", "abc"));
    g_assert_false(web_login_secret_equal("abc", "abd"));
    g_assert_false(web_login_secret_equal("abc", "ab"));
    g_assert_false(web_login_secret_equal("", "a"));
    g_assert_true(web_login_secret_equal("", ""));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-login/tokens", test_tokens);
    g_test_add_func("/web-login/bounded", test_bounded);
    g_test_add_func("/web-login/sessions", test_sessions);
    g_test_add_func("/web-login/cookie", test_cookie);
    g_test_add_func("/web-login/body", test_body);
    g_test_add_func("/web-login/equal", test_equal);
    return g_test_run();
}
