/* Shared by agent/system/seat*.c only: the sources hand candidates to the
 * core (seat.c), which verifies and reports them. */
#pragma once

#include "agent/system/seat.h"

struct seat_candidate {
    enum seat_class klass;
    char *session;
    char *type;
    char *user;
    char *display;    /* as the source says, may be NULL or empty */
    char *xauthority; /* NULL: find it (seat_find_xauthority) */
    long uid;         /* -1: unknown */
    bool ended;       /* dm-hook session-cleanup: a session on @display ended */
};

void seat_candidate_clear(struct seat_candidate *c);

/* A source's view changed. Takes the strings of @c (cleared on return).
 * @source is "logind" or "dm-hook". */
void seat_offer(struct seat *seat, const char *source, struct seat_candidate *c);
/* logind appeared on (true) or left (false) the system bus. */
void seat_logind_present(struct seat *seat, bool present);

struct seat_logind;
struct seat_logind *seat_logind_create(struct seat *seat);
void seat_logind_destroy(struct seat_logind *logind);

struct seat_hook;
/* Listens on @path (root only: mode 0600, peers must be uid 0). */
struct seat_hook *seat_hook_create(struct seat *seat, const char *path, char **ret_error);
void seat_hook_destroy(struct seat_hook *hook);
