/* web-login: one-time login tokens, browser sessions (cookies) and the
 * parsing of what the page sends to /session.
 *
 * A token (from the banner URL or `thindesk-agent ctl web-url`) is good for
 * one login before it expires; the login gives a session id, sent back as
 * the __Host- cookie the WebSocket handshake needs. Sessions expire
 * WEB_SESSION_TTL_S after their last use. Plain C on GLib, no I/O: unit-tested
 * and fuzzed on its own. Main thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_COOKIE_NAME "__Host-thindesk"
#define WEB_SESSION_TTL_S 3600
/* Longest token or password accepted from a page. */
#define WEB_SECRET_MAX 128
/* Largest /session request body. */
#define WEB_LOGIN_BODY_MAX 1024
/* Tokens and sessions remembered at most (the oldest go first). */
#define WEB_LOGIN_MAX_ENTRIES 64

struct web_login;

struct web_login *web_login_create(void);
void web_login_destroy(struct web_login *l);

/* Arms @token until @expires_us (monotonic). */
void web_login_add_token(struct web_login *l, const char *token, int64_t expires_us);
/* Spends @token: 0 (it was good and is now used up), -ESTALE (used before
 * or expired), -ENOENT (never issued). Compares in constant time. */
int web_login_use_token(struct web_login *l, const char *token, int64_t now_us);

/* A new session id (64 hex digits, new string), or NULL without randomness. */
char *web_login_new_session(struct web_login *l, int64_t now_us);
/* Whether @id names a live session; a live one is kept another TTL. */
bool web_login_session_valid(struct web_login *l, const char *id, int64_t now_us);
/* Forgets every session (the password changed, or the agent says so). */
void web_login_drop_sessions(struct web_login *l);

/* The value of cookie @name in a Cookie header, as a new string; NULL when
 * absent, empty, longer than WEB_SECRET_MAX or not [0-9a-f]. */
char *web_login_cookie_value(const char *header, const char *name);

/* Parses an application/x-www-form-urlencoded /session body holding exactly
 * one of t=TOKEN or p=PASSWORD. Returns 0 with *ret_token or *ret_password
 * (new string, the other NULL), or -EINVAL (malformed, both, neither,
 * oversized, or with a NUL byte). */
int web_login_parse_body(const char *body, size_t len, char **ret_token, char **ret_password);

/* Compares two secrets in time that depends only on their lengths. */
bool web_login_secret_equal(const char *a, const char *b);
