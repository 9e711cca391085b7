/* session-proto: the messages between the system service (thindesk-agent
 * --system) and the session helper (thindesk-session) on
 * /run/thindesk/session.sock. Parsing and formatting only, no I/O: see
 * SESSION-PROTO.md beside this file for the protocol itself.
 *
 * Both ends treat what they receive as untrusted: the helper runs as the
 * user, the service as root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_PROTO_VERSION 1
#define SESSION_PROTO_DEFAULT_SOCKET "/run/thindesk/session.sock"
/* The largest datagram either side sends or accepts. */
#define SESSION_PROTO_MAX_MESSAGE 65536
/* The longest text part (the words before the payload). */
#define SESSION_PROTO_MAX_HEAD 1024

enum session_msg_type {
    SESSION_MSG_HELLO = 1, /* helper → service: version */
    SESSION_MSG_WELCOME,   /* service → helper: session */
    SESSION_MSG_REFUSED,   /* service → helper: reason */
    SESSION_MSG_FILE_OPEN, /* service → helper: id, name */
    SESSION_MSG_FILE_FD,   /* helper → service: id (+ the fd, SCM_RIGHTS) */
    SESSION_MSG_FILE_KEEP, /* service → helper: id */
    SESSION_MSG_FILE_KEPT, /* helper → service: id, name (as it landed) */
    SESSION_MSG_FILE_DROP, /* service → helper: id */
    SESSION_MSG_FILE_ERROR, /* helper → service: id, err (errno) */
    SESSION_MSG_PCM,       /* helper → service: payload (playback frames) */
    SESSION_MSG_MIC,       /* service → helper: payload (microphone frames) */
    SESSION_MSG_AUDIO,     /* service → helper: on (a client listens) */
    SESSION_MSG_LISTENING, /* helper → service: on (an application records the mic) */
};

struct session_msg {
    enum session_msg_type type;
    uint32_t version; /* HELLO */
    uint32_t id;      /* FILE_* */
    int32_t err;      /* FILE_ERROR: a positive errno */
    uint32_t on;      /* AUDIO, LISTENING */
    char *name;       /* FILE_OPEN, FILE_KEPT: a plain file name */
    char *session;    /* WELCOME: the logind session id */
    char *reason;     /* REFUSED: one line of text */
    const uint8_t *payload; /* PCM, MIC: points into the parsed buffer */
    size_t payload_len;     /* a multiple of 4 (stereo S16 frames) */
};

/* Parses one datagram of @len bytes. Returns true and fills @msg (free its
 * strings with session_msg_clear), or false with *ret_error set to a
 * static string. */
bool session_proto_parse(const uint8_t *buf, size_t len, struct session_msg *msg,
                         const char **ret_error);
void session_msg_clear(struct session_msg *msg);

/* Formats @msg into a new buffer of *ret_len bytes (g_free it); NULL when
 * the message cannot be sent (a name that is not a plain file name, a
 * payload too large). */
uint8_t *session_proto_format(const struct session_msg *msg, size_t *ret_len);

const char *session_msg_type_name(enum session_msg_type type);
