/* capture-choice: --capture=auto and --capture=wlr decided from what the
 * session offers (no compositor needed: the probe's answer is an input). */
#include <glib.h>
#include <string.h>

#include "agent/capture-choice.h"

#define SCREENCOPY "WAYLAND_DISPLAY=wayland-1 and the compositor offers wlr-screencopy"
#define MUTTER                                                                                     \
    "the compositor on WAYLAND_DISPLAY=wayland-0 (GNOME's mutter, by its globals) offers no wlr-screencopy"

struct expect {
    const char *backend; /* NULL: an error */
    bool virtual_desktop;
    const char *message_part;
};

static void check(const struct capture_session *s, const struct expect *e)
{
    struct capture_choice c;
    bool ok = capture_choice_decide(s, &c);
    g_assert_cmpint(ok, ==, e->backend != NULL);
    g_assert_cmpstr(c.backend, ==, e->backend);
    g_assert_cmpint(c.virtual_desktop, ==, e->virtual_desktop);
    if (e->message_part) {
        g_assert_nonnull(c.message);
        if (!strstr(c.message, e->message_part))
            g_error("message '%s' lacks '%s'", c.message, e->message_part);
    }
    g_free(c.message);
}

static void test_auto_sway(void)
{
    struct capture_session s = {.requested = "auto",
                                .wayland_display = "wayland-1",
                                .wayland_probe = 1,
                                .wayland_reason = SCREENCOPY};
    check(&s, &(struct expect){"wlr", false, "wlr (" SCREENCOPY ")"});
    /* Xwayland next to it changes nothing. */
    s.env_display = ":0";
    check(&s, &(struct expect){"wlr", false, "wlr ("});
}

static void test_auto_x11(void)
{
    struct capture_session s = {.requested = "auto", .env_display = ":5"};
    check(&s, &(struct expect){"x11", false, "x11 (DISPLAY=:5 and no WAYLAND_DISPLAY)"});
    s.wayland_display = "";
    check(&s, &(struct expect){"x11", false, "DISPLAY=:5"});
    /* --display wins over any session. */
    struct capture_session d = {.requested = "auto",
                                .display_option = ":7",
                                .wayland_display = "wayland-1",
                                .wayland_probe = 1,
                                .wayland_reason = SCREENCOPY};
    check(&d, &(struct expect){"x11", false, "--display=:7"});
}

static void test_auto_virtual(void)
{
    struct capture_session s = {.requested = "auto", .virtual_desktop = true};
    check(&s, &(struct expect){"x11", true, "neither WAYLAND_DISPLAY nor DISPLAY"});
    /* Asked for explicitly inside a session. */
    s.env_display = ":3";
    check(&s, &(struct expect){"x11", true, "--virtual-desktop given"});
    /* A stale WAYLAND_DISPLAY (nobody answers) and no DISPLAY. */
    struct capture_session t = {.requested = "auto",
                                .wayland_display = "wayland-5",
                                .wayland_probe = -2,
                                .wayland_reason = "cannot connect to Wayland display wayland-5"};
    check(&t, &(struct expect){"x11", true, "cannot connect"});
}

static void test_auto_gnome(void)
{
    /* A Wayland desktop without screencopy and without X: a clear error. */
    struct capture_session s = {.requested = "auto",
                                .wayland_display = "wayland-0",
                                .wayland_probe = 0,
                                .wayland_reason = MUTTER};
    check(&s, &(struct expect){NULL, false, "this Wayland desktop is not supported yet"});
    check(&s, &(struct expect){NULL, false, "mutter"});
    /* With Xwayland: x11, saying only X clients will show. */
    s.env_display = ":0";
    struct capture_choice c;
    g_assert_true(capture_choice_decide(&s, &c));
    g_assert_cmpstr(c.backend, ==, "x11");
    g_assert_true(c.warn);
    g_assert_nonnull(strstr(c.message, "only X clients"));
    g_free(c.message);
}

static void test_wlr_explicit(void)
{
    struct capture_session s = {.requested = "wlr"};
    check(&s, &(struct expect){NULL, false, "WAYLAND_DISPLAY is not set"});
    s.env_display = ":0"; /* X is no substitute for what was asked */
    check(&s, &(struct expect){NULL, false, "WAYLAND_DISPLAY is not set"});
    s.wayland_display = "wayland-0";
    s.wayland_probe = 0;
    s.wayland_reason = MUTTER;
    check(&s, &(struct expect){NULL, false, "--capture=wlr cannot work here: " MUTTER});
    s.wayland_probe = -111;
    s.wayland_reason = "cannot connect to Wayland display wayland-0: Connection refused";
    check(&s, &(struct expect){NULL, false, "Connection refused"});
    s.wayland_display = "wayland-1";
    s.wayland_probe = 1;
    s.wayland_reason = SCREENCOPY;
    check(&s, &(struct expect){"wlr", false, NULL});
}

static void test_explicit_others_untouched(void)
{
    struct capture_session s = {.requested = "x11",
                                .virtual_desktop = true,
                                .wayland_display = "wayland-1",
                                .wayland_probe = 1};
    check(&s, &(struct expect){"x11", true, NULL});
    struct capture_session f = {.requested = "fake", .wayland_display = "wayland-1"};
    check(&f, &(struct expect){"fake", false, NULL});
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/capture-choice/auto/sway", test_auto_sway);
    g_test_add_func("/capture-choice/auto/x11", test_auto_x11);
    g_test_add_func("/capture-choice/auto/virtual", test_auto_virtual);
    g_test_add_func("/capture-choice/auto/gnome", test_auto_gnome);
    g_test_add_func("/capture-choice/wlr", test_wlr_explicit);
    g_test_add_func("/capture-choice/explicit-others", test_explicit_others_untouched);
    return g_test_run();
}
