/* seat: follows who is in front of seat0, for the system service.
 *
 * Two sources tell it which session is active: logind over D-Bus (seat0's
 * ActiveSession and that session's Class, Type, Display, LockedHint), and,
 * where logind is absent (containers), display-manager hooks that reach the
 * hook socket (agent/system/dm-hook.h). logind wins while it is on the bus.
 *
 * For the active X11 session it finds the X authority, verifies the display
 * with an X connection and retries with backoff while the server is not up
 * yet. Every change is reported through the listener, always from the main
 * loop (never from inside a call into the seat). A state without a display
 * means "nothing to show": the caller shows its placeholder.
 *
 * Main thread only. It sets the process's XAUTHORITY to the verified
 * display's authority file, so that X connections made afterwards on the
 * main thread (capture, input, clipboard) use it. */
#pragma once

#include <stdbool.h>

enum seat_class {
    SEAT_CLASS_NONE,    /* no active session (or one we cannot show) */
    SEAT_CLASS_GREETER, /* the display manager's login screen */
    SEAT_CLASS_USER,    /* a user's session */
    SEAT_CLASS_LOCKED,  /* a user's session behind its lock screen */
};

struct seat_state {
    enum seat_class klass;
    const char *source;     /* "logind", "dm-hook" or "none" */
    const char *session;    /* logind session id, or NULL */
    const char *type;       /* "x11", "wayland", ... or NULL */
    const char *user;       /* user name, or NULL */
    long uid;               /* the user's uid, -1: unknown */
    const char *display;    /* a verified X display, NULL: show the placeholder */
    const char *xauthority; /* its authority file, NULL: none needed */
};

struct seat_listener {
    /* The state changed; @state and its strings are valid during the call. */
    void (*changed)(const struct seat_state *state, void *user_data);
};

struct seat_config {
    bool logind;                 /* follow logind (org.freedesktop.login1) */
    const char *hook_socket;     /* listen for dm-hook here; NULL: no hooks */
    const char *lightdm_run_dir; /* NULL: /var/run/lightdm */
    const char *proc_root;       /* NULL: /proc (tests give a fake tree) */
    const char *run_user_root;   /* NULL: /run/user (GDM's Xauthority) */
};

struct seat;

/* Returns NULL and sets *ret_error (a new string) when the hook socket cannot
 * be created. A missing logind is not an error: it is watched for. */
struct seat *seat_create(const struct seat_config *config, const struct seat_listener *listener,
                         void *user_data, char **ret_error);
void seat_destroy(struct seat *seat);

/* The X server of the reported display went away (capture lost it): report
 * the placeholder and verify again, with backoff, until a server is back. */
void seat_display_lost(struct seat *seat);

const char *seat_class_name(enum seat_class klass);

/* Finds the authority file of X display @display (":N"): LightDM's
 * <run>/root/:N, GDM's <run_user_root>/UID/gdm/Xauthority for @uid (skipped
 * when @uid < 0), then the -auth argument of the X server process that serves
 * :N under @proc_root. Returns a new string or NULL. */
char *seat_find_xauthority(const struct seat_config *config, const char *display, long uid);
