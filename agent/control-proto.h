/* control-proto: the JSON lines of the control socket, without any I/O.
 *
 * A request is one JSON object on one line:
 *   {"command": "status"}
 *   {"command": "set-password", "password": "...", "expires": 300, "id": 7}
 * "id" (any JSON value) is echoed in the reply. A reply is one line:
 *   {"ok": true, "id": 7, ...}   or   {"ok": false, "id": 7, "error": "..."}
 * Events are lines of their own: {"event": "client-connected", ...}.
 * Pure functions, safe on any bytes: the control socket and its fuzz target
 * feed them what arrives. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_LINE (64 * 1024)
#define CONTROL_MAX_COMMAND 64
#define CONTROL_MAX_DEPTH 16
/* spice-server's ticket limit (SPICE_MAX_PASSWORD_LENGTH). */
#define CONTROL_MAX_PASSWORD 60
/* Longest expiry accepted for set-password: one year. */
#define CONTROL_MAX_EXPIRES (365 * 24 * 3600)

struct control_request {
    char *command;   /* validated: [a-z0-9-]{1,64} */
    JsonObject *args; /* the whole request object (a reference) */
    JsonNode *id;    /* the request's "id", or NULL */
};

/* Parses one line (without its newline; @len bytes, need not be
 * nul-terminated). Returns 0 and fills *ret_request, or -EINVAL with
 * *ret_error (new string) saying what is wrong; then *ret_request holds
 * whatever id could be recovered, so the error reply can carry it. */
int control_request_parse(const char *line, size_t len, struct control_request *ret_request,
                          char **ret_error);
void control_request_clear(struct control_request *request);

/* Reads set-password's arguments: "password" (1..60 bytes, no NUL) and an
 * optional "expires" (seconds from now, 0..one year, 0 = never). */
int control_parse_set_password(JsonObject *args, char **ret_password, int64_t *ret_expires,
                               char **ret_error);

/* One line (with "\n", new string) for a reply. @fields (may be NULL, not
 * consumed) adds its members to a successful reply. */
char *control_reply_ok(const JsonNode *id, JsonObject *fields);
char *control_reply_error(const JsonNode *id, const char *message);
/* One event line; @fields may be NULL, not consumed. */
char *control_event_line(const char *event, JsonObject *fields);
