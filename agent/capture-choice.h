/* capture-choice: which capture backend serves this session, and why.
 *
 * --capture=auto decides by the session: a GNOME Wayland session with
 * mutter's screen cast on the session bus gets mutter; a Wayland session
 * whose compositor offers wlr-screencopy gets wlr; else an X display gets
 * x11; with neither, a virtual X desktop. --input=auto follows mutter. The decision is a pure function of what was found, so
 * it can be tested without compositors. */
#pragma once

#include <stdbool.h>

struct agent_options;

struct capture_session {
    const char *requested;       /* --capture: auto, wlr, mutter, x11, fake */
    const char *wayland_display; /* $WAYLAND_DISPLAY; NULL or "" when unset */
    int wayland_probe;           /* capture_probe("wlr"): 1, 0 or -errno */
    const char *wayland_reason;  /* what the probe said */
    const char *current_desktop; /* $XDG_CURRENT_DESKTOP, or NULL */
    int mutter_probe;            /* capture_probe("mutter"): 1, 0 or -errno */
    const char *mutter_reason;   /* what that probe said */
    const char *display_option;  /* --display, or NULL */
    const char *env_display;     /* $DISPLAY; NULL or "" when unset */
    bool virtual_desktop;        /* options asked for a virtual X desktop */
};

struct capture_choice {
    const char *backend;  /* "wlr", "mutter", "x11" or "fake"; NULL when nothing fits */
    bool virtual_desktop; /* x11 on a virtual desktop the agent starts */
    bool warn;            /* @message is a warning, not just information */
    char *message;        /* why (a new string), or the error when !backend */
};

/* Decides. Returns false (with @ret->message the error) when the session
 * cannot be served as asked. Free @ret->message with g_free. */
bool capture_choice_decide(const struct capture_session *session, struct capture_choice *ret);

/* True when the colon-separated $XDG_CURRENT_DESKTOP @desktops names GNOME. */
bool capture_choice_is_gnome(const char *desktops);

/* Decides --input given the capture backend already chosen: sets
 * @ret_input to the backend to use ("auto" stays for injector_create) and
 * returns true, or returns false with @ret_error (a new string) when the
 * input asked for cannot work with that capture. */
bool capture_choice_input(const char *capture, const char *input, const char **ret_input,
                          char **ret_error);

/* Resolves --capture=auto (and checks --capture=wlr and mutter) for @opts in
 * place, probing the Wayland compositor and the session bus when there is
 * one; then --input=auto for mutter. Prints the choice for auto. Returns false
 * after printing the error (one line). */
bool capture_choice_resolve(struct agent_options *opts);
