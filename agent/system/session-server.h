/* session-server: the system service's end of session.sock
 * (SESSION-PROTO.md). It accepts the session helper (thindesk-session) of
 * the user who is active on seat0 and nobody else: the peer's SO_PEERCRED
 * uid must be the active user session's; others are refused with a log
 * line. One helper at a time. Main loop only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session_server;

struct session_server_events {
    /* A helper was accepted (true) or is gone (false). */
    void (*helper)(bool connected, void *user_data);
    /* File transfer answers: the unnamed file for transfer @id (the callee
     * owns @fd), the name it got in the Downloads folder, or an errno. */
    void (*file_fd)(uint32_t id, int fd, void *user_data);
    void (*file_kept)(uint32_t id, const char *name, void *user_data);
    void (*file_error)(uint32_t id, int err, void *user_data);
    /* Desktop sound from the helper: @n stereo S16 frames at 48 kHz. */
    void (*pcm)(const uint32_t *frames, size_t n, void *user_data);
    /* An application in the session records the microphone (or stopped). */
    void (*listening)(bool on, void *user_data);
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

/* Asks the helper for an unnamed file for @name (answer: file_fd or
 * file_error), to give it its name (file_kept or file_error), or to drop
 * it. False when no helper is connected. */
bool session_server_file_open(struct session_server *s, uint32_t id, const char *name);
bool session_server_file_keep(struct session_server *s, uint32_t id);
bool session_server_file_drop(struct session_server *s, uint32_t id);
/* Tells the helper to record the desktop's sound (@on) or to stop. */
bool session_server_audio(struct session_server *s, bool on);
/* The client's microphone for the session: @n stereo S16 frames. */
bool session_server_mic(struct session_server *s, const uint32_t *frames, size_t n);
