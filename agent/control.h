/* control: the agent's control socket, a per-user Unix socket speaking JSON
 * lines (see control-proto.h), for `thindesk-agent ctl` and brokers.
 *
 * Modules contribute without control knowing them: a status callback adds
 * members to the reply of "status", a command handler serves a command, and
 * control_emit_event() sends an event to every connection that asked for
 * "events". Every function accepts a NULL control (no socket configured).
 * Main thread only. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>

struct control;

/* Adds members to @status (the "status" object of the reply). */
typedef void (*control_status_fn)(JsonObject *status, void *user_data);
/* Serves one request; @args is the request object. Adds members to @reply
 * and returns true, or returns false with *ret_error (new string). */
typedef bool (*control_command_fn)(JsonObject *args, JsonObject *reply, char **ret_error,
                                   void *user_data);

/* The default path: $XDG_RUNTIME_DIR/thindesk/control (new string). */
char *control_default_path(void);

/* Listens on @path (mode 0600, its directory 0700). Refuses a path or
 * directory owned by another user, something that is not a socket, and a
 * socket another agent still serves; a stale socket of ours is replaced.
 * Returns NULL with *ret_error (new string). */
struct control *control_create(const char *path, char **ret_error);
/* Closes every connection and removes the socket. */
void control_destroy(struct control *control);

const char *control_get_path(const struct control *control);

void control_add_status(struct control *control, control_status_fn fn, void *user_data);
/* @name must stay valid while @control lives. */
void control_add_command(struct control *control, const char *name, control_command_fn fn,
                         void *user_data);
/* Sends {"event": @event, ...@fields} to subscribers; @fields may be NULL
 * and is not consumed. */
void control_emit_event(struct control *control, const char *event, JsonObject *fields);
