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
        return choose(
            ret, NULL, false,
            g_strdup_printf(
                "this Wayland desktop is not supported yet: %s, and DISPLAY is not set. thindesk serves wlroots compositors (sway) and X11 sessions; GNOME and KDE on Wayland will follow",
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
    return choose(ret, s->requested, s->virtual_desktop, NULL);
}

bool capture_choice_resolve(struct agent_options *o)
{
    struct capture_session s = {
        .requested = o->capture,
        .wayland_display = g_getenv("WAYLAND_DISPLAY"),
        .display_option = o->display,
        .env_display = g_getenv("DISPLAY"),
        .virtual_desktop = o->virtual_desktop,
    };
    g_autofree char *reason = NULL;
    bool ask = strcmp(o->capture, "wlr") == 0 ||
               (strcmp(o->capture, "auto") == 0 && !o->display && !o->virtual_desktop);
    if (ask && set(s.wayland_display)) {
        s.wayland_probe = capture_probe("wlr", NULL, &reason);
        s.wayland_reason = reason;
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
    /* c.backend may be o->capture itself (an explicit --capture). */
    char *backend = g_strdup(c.backend);
    g_free(o->capture);
    o->capture = backend;
    o->virtual_desktop = c.virtual_desktop;
    g_free(c.message);
    return true;
}
