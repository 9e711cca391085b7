/* libFuzzer target: what a browser (or anyone) sends the HTTP side of the
 * web server: the Cookie header, the /session body, and the tokens it names,
 * through agent/web/web-login. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/web/web-login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* First byte: where the input splits into a Cookie header and a body. */
    size_t split = size > 1 ? data[0] % size : 0;
    g_autofree char *header = g_strndup((const char *)data + 1, split > 0 ? split - 1 : 0);
    const char *body = (const char *)data + (split ? split : 1);
    size_t body_len = size - (split ? split : 1);

    struct web_login *l = web_login_create();
    web_login_add_token(l, "KnownToken123", G_MAXINT64);
    char *v = web_login_cookie_value(header, WEB_COOKIE_NAME);
    if (v) {
        if (strlen(v) == 0 || strlen(v) > WEB_SECRET_MAX)
            abort();
        web_login_session_valid(l, v, 1);
        g_free(v);
    }
    char *token = NULL, *password = NULL;
    if (web_login_parse_body(body, body_len, &token, &password) == 0) {
        if (!!token == !!password)
            abort();
        const char *s = token ? token : password;
        if (strlen(s) == 0 || strlen(s) > WEB_SECRET_MAX)
            abort();
        if (token) {
            int first = web_login_use_token(l, token, 1);
            /* a token never works twice */
            if (first == 0 && web_login_use_token(l, token, 2) == 0)
                abort();
        }
        g_free(token);
        g_free(password);
    }
    web_login_destroy(l);
    return 0;
}
