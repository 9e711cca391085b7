#include "agent/capture-choice.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "agent/options.h"
#include "display/capture.h"

static bool set(const char *s)
{
    return s && *s;
}

static bool choose(struct capture_choice *ret, const char *backend, bool virtual_desktop,
                   char *message)
{
    ret->backend = backend;
    ret->virtual_desktop = virtual_desktop;
    ret->message = message;
    return backend != NULL;
}

static bool decide_wlr(const struct capture_session *s, struct capture_choice *ret)
{
    if (!set(s->wayland_display))
        return choose(
            ret, NULL, false,
            g_strdup(
                "--capture=wlr needs a Wayland session, but WAYLAND_DISPLAY is not set: run the agent inside the sway session, or use --capture=auto"));
    if (s->wayland_probe <= 0)
        return choose(
            ret, NULL, false,
            g_strdup_printf(
                "--capture=wlr cannot work here: %s; it needs a wlroots compositor such as sway",
                s->wayland_reason ? s->wayland_reason : "no wlr-screencopy"));
    return choose(ret, "wlr", false, g_strdup_printf("wlr (%s)", s->wayland_reason));
}

bool capture_choice_is_gnome(const char *desktops)
{
    if (!set(desktops))
        return false;
    g_auto(GStrv) names = g_strsplit(desktops, ":", -1);
    for (char **n = names; *n; n++)
        if (g_ascii_strcasecmp(*n, "GNOME") == 0)
            return true;
    return false;
}

static bool decide_mutter(const struct capture_session *s, struct capture_choice *ret)
{
    if (!set(s->wayland_display))
        return choose(
            ret, NULL, false,
            g_strdup(
                "--capture=mutter needs a GNOME Wayland session, but WAYLAND_DISPLAY is not set: run the agent inside the GNOME session, or use --capture=auto"));
    if (s->mutter_probe <= 0)
        return choose(
            ret, NULL, false,
            g_strdup_printf(
                "--capture=mutter cannot work here: %s; it needs GNOME's mutter (GNOME Shell) on the D-Bus session bus",
                s->mutter_reason ? s->mutter_reason : "no org.gnome.Mutter.ScreenCast"));
    return choose(ret, "mutter", false, g_strdup_printf("mutter (%s)", s->mutter_reason));
}

static bool decide_auto(const struct capture_session *s, struct capture_choice *ret)
{
    if (set(s->display_option))
        return choose(ret, "x11", false,
                      g_strdup_printf("x11 (--display=%s given)", s->display_option));
    if (s->virtual_desktop && !set(s->wayland_display) && !set(s->env_display))
        return choose(
            ret, "x11", true,
            g_strdup("x11 on a virtual X desktop (neither WAYLAND_DISPLAY nor DISPLAY is set)"));
    if (s->virtual_desktop)
        return choose(ret, "x11", true,
                      g_strdup("x11 on a virtual X desktop (--virtual-desktop given)"));
    if (set(s->wayland_display) && capture_choice_is_gnome(s->current_desktop) &&
        s->mutter_probe > 0)
        return choose(ret, "mutter", false,
                      g_strdup_printf("mutter (XDG_CURRENT_DESKTOP=%s and %s)",
                                      s->current_desktop, s->mutter_reason));
    if (set(s->wayland_display) && s->wayland_probe > 0)
        return choose(ret, "wlr", false, g_strdup_printf("wlr (%s)", s->wayland_reason));
    if (set(s->wayland_display) && s->wayland_probe == 0) {
        /* A Wayland desktop we cannot capture. Its Xwayland shows X clients
         * only, so say so rather than pretend to serve the desktop. */
        if (set(s->env_display)) {
            ret->warn = true;
            return choose(
                ret, "x11", false,
                g_strdup_printf(
                    "x11 (DISPLAY=%s; %s, so only X clients under Xwayland will be visible)",
                    s->env_display, s->wayland_reason));
        }
        if (capture_choice_is_gnome(s->current_desktop))
            return choose(
                ret, NULL, false,
                g_strdup_printf(
                    "this GNOME Wayland session cannot be captured: %s, and DISPLAY is not set. thindesk needs GNOME's mutter on the D-Bus session bus (is DBUS_SESSION_BUS_ADDRESS right?)",
                    s->mutter_reason ? s->mutter_reason : s->wayland_reason));
        return choose(
            ret, NULL, false,
            g_strdup_printf(
                "this Wayland desktop is not supported yet: %s, and DISPLAY is not set. thindesk serves GNOME (mutter), wlroots compositors (sway) and X11 sessions; KDE on Wayland will follow",
                s->wayland_reason));
    }
    /* WAYLAND_DISPLAY unset, or set but nobody answers (a stale variable). */
    g_autofree char *stale =
        set(s->wayland_display)
            ? g_strdup_printf("; %s", s->wayland_reason ? s->wayland_reason : "no compositor")
            : g_strdup(" and no WAYLAND_DISPLAY");
    if (set(s->env_display))
        return choose(ret, "x11", false,
                      g_strdup_printf("x11 (DISPLAY=%s%s)", s->env_display, stale));
    return choose(ret, "x11", true,
                  g_strdup_printf("x11 on a virtual X desktop (DISPLAY is not set%s)", stale));
}

bool capture_choice_decide(const struct capture_session *s, struct capture_choice *ret)
{
    *ret = (struct capture_choice){0};
    if (g_strcmp0(s->requested, "auto") == 0)
        return decide_auto(s, ret);
    if (g_strcmp0(s->requested, "wlr") == 0)
        return decide_wlr(s, ret);
    if (g_strcmp0(s->requested, "mutter") == 0)
        return decide_mutter(s, ret);
    return choose(ret, s->requested, s->virtual_desktop, NULL);
}

bool capture_choice_input(const char *capture, const char *input, const char **ret_input,
                          char **ret_error)
{
    bool mutter = g_strcmp0(capture, "mutter") == 0;
    if (g_strcmp0(input, "mutter") == 0 && !mutter) {
        *ret_error = g_strdup_printf(
            "--input=mutter needs --capture=mutter (mutter takes input only in the remote-desktop session of its screen cast), but capture is %s",
            capture);
        return false;
    }
    *ret_input = g_strcmp0(input, "auto") == 0 && mutter ? "mutter" : input;
    return true;
}

bool capture_choice_resolve(struct agent_options *o)
{
    struct capture_session s = {
        .requested = o->capture,
        .wayland_display = g_getenv("WAYLAND_DISPLAY"),
        .current_desktop = g_getenv("XDG_CURRENT_DESKTOP"),
        .display_option = o->display,
        .env_display = g_getenv("DISPLAY"),
        .virtual_desktop = o->virtual_desktop,
    };
    g_autofree char *reason = NULL;
    g_autofree char *mutter_reason = NULL;
    bool ask = strcmp(o->capture, "wlr") == 0 ||
               (strcmp(o->capture, "auto") == 0 && !o->display && !o->virtual_desktop);
    if (ask && set(s.wayland_display)) {
        s.wayland_probe = capture_probe("wlr", NULL, &reason);
        s.wayland_reason = reason;
    }
    bool ask_mutter = strcmp(o->capture, "mutter") == 0 ||
                      (strcmp(o->capture, "auto") == 0 && !o->display && !o->virtual_desktop &&
                       capture_choice_is_gnome(s.current_desktop));
    if (ask_mutter && set(s.wayland_display)) {
        s.mutter_probe = capture_probe("mutter", NULL, &mutter_reason);
        s.mutter_reason = mutter_reason;
    }
    struct capture_choice c;
    bool ok = capture_choice_decide(&s, &c);
    if (!ok) {
        fprintf(stderr, "thindesk-agent: %s\n", c.message);
        g_free(c.message);
        return false;
    }
    if (strcmp(o->capture, "auto") == 0) {
        printf("thindesk-agent: capture: %s\n", c.message);
        fflush(stdout);
    }
    /* c.backend may be o->capture itself (an explicit choice): copy first. */
    char *backend = g_strdup(c.backend);
    g_free(o->capture);
    o->capture = backend;
    o->virtual_desktop = c.virtual_desktop;
    g_free(c.message);
    const char *input = NULL;
    g_autofree char *error = NULL;
    if (!capture_choice_input(o->capture, o->input, &input, &error)) {
        fprintf(stderr, "thindesk-agent: %s\n", error);
        return false;
    }
    if (strcmp(input, o->input) != 0) {
        printf("thindesk-agent: input: %s (shares the screen cast's remote-desktop session)\n", input);
        fflush(stdout);
        g_free(o->input);
        o->input = g_strdup(input);
    }
    return true;
}
