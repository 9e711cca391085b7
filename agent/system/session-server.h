/* session-server: the system service's end of session.sock
 * (SESSION-PROTO.md). It accepts the session helper (thindesk-session) of
 * the user who is active on seat0 and nobody else: the peer's SO_PEERCRED
 * uid must be the active user session's; others are refused with a log
 * line. One helper at a time. Main loop only. */
#pragma once

#include <stdbool.h>

struct session_server;

struct session_server_events {
    /* A helper was accepted (true) or is gone (false). */
    void (*helper)(bool connected, void *user_data);
    void *user_data;
};

/* Listens on @path (mode 0666: the peer's uid decides). NULL with
 * *ret_error (a new string) when it cannot. */
struct session_server *session_server_create(const char *path,
                                             const struct session_server_events *ev,
                                             char **ret_error);
void session_server_destroy(struct session_server *s);

/* Who may connect now: @uid (-1: nobody, e.g. the greeter), @user for log
 * lines, @session its logind id. A connected helper of another uid is
 * dropped. */
void session_server_set_active(struct session_server *s, long uid, const char *user,
                               const char *session);

bool session_server_connected(const struct session_server *s);
