/* capture-choice: --capture=auto and --capture=wlr decided from what the
 * session offers (no compositor needed: the probe's answer is an input). */
#include <glib.h>
#include <string.h>

#include "agent/capture-choice.h"

#define SCREENCOPY "WAYLAND_DISPLAY=wayland-1 and the compositor offers wlr-screencopy"
#define ON_BUS "org.gnome.Mutter.ScreenCast is on the session bus"
#define NOT_ON_BUS "org.gnome.Mutter.ScreenCast is not on the session bus"
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
    /* GNOME on Wayland with mutter's screen cast on the bus: mutter. */
    struct capture_session g = {.requested = "auto",
                                .wayland_display = "wayland-0",
                                .wayland_probe = 0,
                                .wayland_reason = MUTTER,
                                .current_desktop = "GNOME",
                                .mutter_probe = 1,
                                .mutter_reason = ON_BUS};
    check(&g, &(struct expect){"mutter", false, "mutter (XDG_CURRENT_DESKTOP=GNOME and " ON_BUS ")"});
    /* Distributions prefix it; Xwayland next to it changes nothing. */
    g.current_desktop = "ubuntu:GNOME";
    g.env_display = ":0";
    check(&g, &(struct expect){"mutter", false, "ubuntu:GNOME"});
    /* Not GNOME by XDG_CURRENT_DESKTOP: the screen cast is not taken. */
    g.current_desktop = "KDE";
    g.env_display = NULL;
    check(&g, &(struct expect){NULL, false, "this Wayland desktop is not supported yet"});
    /* --display and a virtual desktop still win. */
    g.current_desktop = "GNOME";
    g.display_option = ":7";
    check(&g, &(struct expect){"x11", false, "--display=:7"});
    g.display_option = NULL;
    g.virtual_desktop = true;
    check(&g, &(struct expect){"x11", true, "--virtual-desktop given"});

    /* GNOME whose screen cast is not on the bus, without X: a clear error. */
    struct capture_session n = {.requested = "auto",
                                .wayland_display = "wayland-0",
                                .wayland_probe = 0,
                                .wayland_reason = MUTTER,
                                .current_desktop = "GNOME",
                                .mutter_probe = 0,
                                .mutter_reason = NOT_ON_BUS};
    check(&n, &(struct expect){NULL, false, "this GNOME Wayland session cannot be captured: " NOT_ON_BUS});

    /* A Wayland desktop without screencopy, not GNOME, without X: a clear error. */
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

static void test_mutter_explicit(void)
{
    struct capture_session s = {.requested = "mutter", .env_display = ":0"};
    check(&s, &(struct expect){NULL, false, "--capture=mutter needs a GNOME Wayland session, but WAYLAND_DISPLAY is not set"});
    s.wayland_display = "wayland-1";
    s.mutter_probe = 0;
    s.mutter_reason = NOT_ON_BUS;
    check(&s, &(struct expect){NULL, false, "--capture=mutter cannot work here: " NOT_ON_BUS});
    s.mutter_probe = -107;
    s.mutter_reason = "no D-Bus session bus: Cannot autolaunch";
    check(&s, &(struct expect){NULL, false, "Cannot autolaunch"});
    /* Asked for by name, the bus decides, not XDG_CURRENT_DESKTOP. */
    s.mutter_probe = 1;
    s.mutter_reason = ON_BUS;
    check(&s, &(struct expect){"mutter", false, NULL});
}

static void test_input(void)
{
    const char *input = NULL;
    char *error = NULL;
    g_assert_true(capture_choice_input("mutter", "auto", &input, &error));
    g_assert_cmpstr(input, ==, "mutter");
    g_assert_true(capture_choice_input("mutter", "mutter", &input, &error));
    g_assert_cmpstr(input, ==, "mutter");
    g_assert_true(capture_choice_input("mutter", "fake", &input, &error));
    g_assert_cmpstr(input, ==, "fake");
    g_assert_true(capture_choice_input("x11", "auto", &input, &error));
    g_assert_cmpstr(input, ==, "auto");
    g_assert_true(capture_choice_input("wlr", "auto", &input, &error));
    g_assert_cmpstr(input, ==, "auto");
    input = NULL;
    g_assert_false(capture_choice_input("x11", "mutter", &input, &error));
    g_assert_null(input);
    g_assert_nonnull(strstr(error, "--input=mutter needs --capture=mutter"));
    g_assert_nonnull(strstr(error, "capture is x11"));
    g_free(error);
}

static void test_is_gnome(void)
{
    g_assert_true(capture_choice_is_gnome("GNOME"));
    g_assert_true(capture_choice_is_gnome("ubuntu:GNOME"));
    g_assert_true(capture_choice_is_gnome("GNOME-Classic:GNOME"));
    g_assert_false(capture_choice_is_gnome("GNOME-Classic"));
    g_assert_false(capture_choice_is_gnome("KDE"));
    g_assert_false(capture_choice_is_gnome(""));
    g_assert_false(capture_choice_is_gnome(NULL));
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
    g_test_add_func("/capture-choice/mutter", test_mutter_explicit);
    g_test_add_func("/capture-choice/input", test_input);
    g_test_add_func("/capture-choice/is-gnome", test_is_gnome);
    return g_test_run();
}
