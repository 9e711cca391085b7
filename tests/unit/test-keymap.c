/* The set-1 scancode table and the byte-at-a-time sequence decoder. */
#include <glib.h>
#include <linux/input-event-codes.h>

#include "input/keymap.h"

/* Feeds @n bytes; collects the events. Returns how many. */
static int feed(struct keymap_decoder *d, const uint8_t *bytes, int n, struct keymap_event *out,
                int max)
{
    int got = 0;
    for (int i = 0; i < n; i++) {
        struct keymap_event ev;
        if (keymap_decoder_feed(d, bytes[i], &ev)) {
            g_assert_cmpint(got, <, max);
            out[got++] = ev;
        }
    }
    return got;
}

static void check_one(struct keymap_decoder *d, const uint8_t *bytes, int n, uint16_t code,
                      bool pressed)
{
    struct keymap_event ev[4];
    int got = feed(d, bytes, n, ev, 4);
    g_assert_cmpint(got, ==, 1);
    g_assert_cmpuint(ev[0].code, ==, code);
    g_assert_cmpint(ev[0].pressed, ==, pressed);
    g_assert_false(keymap_decoder_pending(d));
}

/* Every entry of both tables, pressed then released. */
static void test_every_entry(void)
{
    struct keymap_decoder d = {0};
    int entries = 0;
    for (int ext = 0; ext <= 1; ext++) {
        for (int sc = 0; sc < 0x80; sc++) {
            uint16_t code = keymap_lookup(ext, sc);
            if (!code)
                continue;
            g_assert_cmpuint(code, <=, KEY_MAX);
            entries++;
            uint8_t press[2] = {0xe0, sc}, release[2] = {0xe0, sc | 0x80};
            if (ext) {
                check_one(&d, press, 2, code, true);
                check_one(&d, release, 2, code, false);
            } else {
                check_one(&d, press + 1, 1, code, true);
                check_one(&d, release + 1, 1, code, false);
            }
        }
    }
    /* Pause, the one key with its own sequence. */
    static const uint8_t pause_press[] = {0xe1, 0x1d, 0x45};
    static const uint8_t pause_release[] = {0xe1, 0x9d, 0xc5};
    check_one(&d, pause_press, 3, KEY_PAUSE, true);
    check_one(&d, pause_release, 3, KEY_PAUSE, false);
    g_assert_cmpint(entries, >=, 200);
}

/* The 105-key PC keyboard written out once more, independently of the table,
 * as 0x1xx = 0xe0-prefixed (the notation spice-gtk uses). */
static const struct {
    uint16_t scancode;
    uint16_t code;
} pc105[] = {
    /* clang-format off */
    {0x01, KEY_ESC}, {0x3b, KEY_F1}, {0x3c, KEY_F2}, {0x3d, KEY_F3}, {0x3e, KEY_F4},
    {0x3f, KEY_F5}, {0x40, KEY_F6}, {0x41, KEY_F7}, {0x42, KEY_F8}, {0x43, KEY_F9},
    {0x44, KEY_F10}, {0x57, KEY_F11}, {0x58, KEY_F12}, {0x137, KEY_SYSRQ}, {0x46, KEY_SCROLLLOCK},
    {0x29, KEY_GRAVE}, {0x02, KEY_1}, {0x03, KEY_2}, {0x04, KEY_3}, {0x05, KEY_4}, {0x06, KEY_5},
    {0x07, KEY_6}, {0x08, KEY_7}, {0x09, KEY_8}, {0x0a, KEY_9}, {0x0b, KEY_0}, {0x0c, KEY_MINUS},
    {0x0d, KEY_EQUAL}, {0x0e, KEY_BACKSPACE}, {0x152, KEY_INSERT}, {0x147, KEY_HOME},
    {0x149, KEY_PAGEUP}, {0x45, KEY_NUMLOCK}, {0x135, KEY_KPSLASH}, {0x37, KEY_KPASTERISK},
    {0x4a, KEY_KPMINUS}, {0x0f, KEY_TAB}, {0x10, KEY_Q}, {0x11, KEY_W}, {0x12, KEY_E},
    {0x13, KEY_R}, {0x14, KEY_T}, {0x15, KEY_Y}, {0x16, KEY_U}, {0x17, KEY_I}, {0x18, KEY_O},
    {0x19, KEY_P}, {0x1a, KEY_LEFTBRACE}, {0x1b, KEY_RIGHTBRACE}, {0x1c, KEY_ENTER},
    {0x153, KEY_DELETE}, {0x14f, KEY_END}, {0x151, KEY_PAGEDOWN}, {0x47, KEY_KP7},
    {0x48, KEY_KP8}, {0x49, KEY_KP9}, {0x4e, KEY_KPPLUS}, {0x3a, KEY_CAPSLOCK}, {0x1e, KEY_A},
    {0x1f, KEY_S}, {0x20, KEY_D}, {0x21, KEY_F}, {0x22, KEY_G}, {0x23, KEY_H}, {0x24, KEY_J},
    {0x25, KEY_K}, {0x26, KEY_L}, {0x27, KEY_SEMICOLON}, {0x28, KEY_APOSTROPHE},
    {0x2b, KEY_BACKSLASH}, {0x4b, KEY_KP4}, {0x4c, KEY_KP5}, {0x4d, KEY_KP6},
    {0x2a, KEY_LEFTSHIFT}, {0x56, KEY_102ND}, {0x2c, KEY_Z}, {0x2d, KEY_X}, {0x2e, KEY_C},
    {0x2f, KEY_V}, {0x30, KEY_B}, {0x31, KEY_N}, {0x32, KEY_M}, {0x33, KEY_COMMA},
    {0x34, KEY_DOT}, {0x35, KEY_SLASH}, {0x36, KEY_RIGHTSHIFT}, {0x148, KEY_UP}, {0x4f, KEY_KP1},
    {0x50, KEY_KP2}, {0x51, KEY_KP3}, {0x11c, KEY_KPENTER}, {0x1d, KEY_LEFTCTRL},
    {0x15b, KEY_LEFTMETA}, {0x38, KEY_LEFTALT}, {0x39, KEY_SPACE}, {0x138, KEY_RIGHTALT},
    {0x15c, KEY_RIGHTMETA}, {0x15d, KEY_COMPOSE}, {0x11d, KEY_RIGHTCTRL}, {0x14b, KEY_LEFT},
    {0x150, KEY_DOWN}, {0x14d, KEY_RIGHT}, {0x52, KEY_KP0}, {0x53, KEY_KPDOT},
    /* clang-format on */
};

static void test_pc105(void)
{
    /* 104 keys here plus Pause (its own sequence) = 105. */
    g_assert_cmpint(G_N_ELEMENTS(pc105), ==, 104);
    for (size_t i = 0; i < G_N_ELEMENTS(pc105); i++) {
        uint16_t sc = pc105[i].scancode;
        g_assert_cmpuint(keymap_lookup(sc > 0xff, sc & 0x7f), ==, pc105[i].code);
    }
}

/* Each evdev code comes from one place, but for the documented aliases. */
static void test_codes_unique(void)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    for (int ext = 0; ext <= 1; ext++) {
        for (int sc = 0; sc < 0x80; sc++) {
            uint16_t code = keymap_lookup(ext, sc);
            if (!code || code == KEY_SYSRQ || code == KEY_PAUSE || code == KEY_HANJA)
                continue;
            g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(code)));
            g_hash_table_add(seen, GUINT_TO_POINTER(code));
        }
    }
    g_hash_table_destroy(seen);
    g_assert_cmpuint(keymap_lookup(false, 0x54), ==, KEY_SYSRQ);
    g_assert_cmpuint(keymap_lookup(true, 0x37), ==, KEY_SYSRQ);
    g_assert_cmpuint(keymap_lookup(true, 0x46), ==, KEY_PAUSE);
    g_assert_cmpuint(keymap_lookup(true, 0x0d), ==, KEY_HANJA);
    g_assert_cmpuint(keymap_lookup(false, 0x71), ==, KEY_HANJA);
    g_assert_cmpuint(keymap_lookup(false, 0x72), ==, KEY_HANGEUL);
    g_assert_cmpuint(keymap_lookup(false, 0x80), ==, 0);
    g_assert_cmpuint(keymap_lookup(true, 0xff), ==, 0);
}

/* A hardware keyboard sends Pause's make and break together. */
static void test_pause_hardware(void)
{
    struct keymap_decoder d = {0};
    static const uint8_t bytes[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
    struct keymap_event ev[4];
    g_assert_cmpint(feed(&d, bytes, 6, ev, 4), ==, 2);
    g_assert_cmpuint(ev[0].code, ==, KEY_PAUSE);
    g_assert_true(ev[0].pressed);
    g_assert_cmpuint(ev[1].code, ==, KEY_PAUSE);
    g_assert_false(ev[1].pressed);
}

/* A sequence split over separate deliveries waits for its rest. */
static void test_split(void)
{
    struct keymap_decoder d = {0};
    struct keymap_event ev;
    g_assert_false(keymap_decoder_feed(&d, 0xe0, &ev));
    g_assert_true(keymap_decoder_pending(&d));
    g_assert_true(keymap_decoder_feed(&d, 0x48, &ev));
    g_assert_cmpuint(ev.code, ==, KEY_UP);
    g_assert_false(keymap_decoder_pending(&d));

    g_assert_false(keymap_decoder_feed(&d, 0xe1, &ev));
    g_assert_true(keymap_decoder_pending(&d));
    g_assert_false(keymap_decoder_feed(&d, 0x1d, &ev));
    g_assert_true(keymap_decoder_pending(&d));
    g_assert_true(keymap_decoder_feed(&d, 0x45, &ev));
    g_assert_cmpuint(ev.code, ==, KEY_PAUSE);
}

static void test_malformed(void)
{
    struct keymap_decoder d = {0};
    struct keymap_event ev[4];

    /* A repeated prefix counts once. */
    static const uint8_t e0e0[] = {0xe0, 0xe0, 0x48};
    check_one(&d, e0e0, 3, KEY_UP, true);
    /* An 0xe0 cut short by the Pause prefix: Pause wins. */
    static const uint8_t e0e1[] = {0xe0, 0xe1, 0x1d, 0x45};
    check_one(&d, e0e1, 4, KEY_PAUSE, true);
    /* 0xe1 followed by a plain key: the key still arrives. */
    static const uint8_t e1key[] = {0xe1, 0x1e};
    check_one(&d, e1key, 2, KEY_A, true);
    /* 0xe1 0x1d then something else: no Ctrl, the key arrives. */
    static const uint8_t e11dkey[] = {0xe1, 0x1d, 0x9e};
    check_one(&d, e11dkey, 3, KEY_A, false);
    /* Press and release halves mixed: nothing, and never Num Lock. */
    static const uint8_t mixed1[] = {0xe1, 0x1d, 0xc5};
    static const uint8_t mixed2[] = {0xe1, 0x9d, 0x45};
    g_assert_cmpint(feed(&d, mixed1, 3, ev, 4), ==, 0);
    g_assert_cmpint(feed(&d, mixed2, 3, ev, 4), ==, 0);
    g_assert_false(keymap_decoder_pending(&d));
    /* Fake shifts around Print Screen are dropped. */
    static const uint8_t prtsc[] = {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa};
    g_assert_cmpint(feed(&d, prtsc, 8, ev, 4), ==, 2);
    g_assert_cmpuint(ev[0].code, ==, KEY_SYSRQ);
    g_assert_true(ev[0].pressed);
    g_assert_cmpuint(ev[1].code, ==, KEY_SYSRQ);
    g_assert_false(ev[1].pressed);
    /* Unknown keys are dropped (twice: logged once), the next key works. */
    static const uint8_t unknown[] = {0x60, 0x60, 0xe0, 0x11, 0xe0, 0x91, 0x7f, 0x1e};
    check_one(&d, unknown, 8, KEY_A, true);
    /* A half sequence then reset (client gone): the next byte is fresh. */
    g_assert_cmpint(feed(&d, (const uint8_t[]){0xe0}, 1, ev, 4), ==, 0);
    keymap_decoder_reset(&d);
    check_one(&d, (const uint8_t[]){0x48}, 1, KEY_KP8, true);
}

/* Random bytes never crash, never yield code 0, never leave it stuck. */
static void test_random_bytes(void)
{
    struct keymap_decoder d = {0};
    GRand *r = g_rand_new_with_seed(1234);
    for (int i = 0; i < 200000; i++) {
        struct keymap_event ev;
        if (keymap_decoder_feed(&d, (uint8_t)g_rand_int(r), &ev)) {
            g_assert_cmpuint(ev.code, !=, 0);
            g_assert_cmpuint(ev.code, <=, KEY_MAX);
        }
    }
    g_rand_free(r);
    /* At most two more bytes end any sequence. */
    struct keymap_event ev;
    keymap_decoder_feed(&d, 0x00, &ev);
    keymap_decoder_feed(&d, 0x00, &ev);
    g_assert_false(keymap_decoder_pending(&d));
    check_one(&d, (const uint8_t[]){0x1e}, 1, KEY_A, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keymap/every-entry", test_every_entry);
    g_test_add_func("/keymap/pc105", test_pc105);
    g_test_add_func("/keymap/codes-unique", test_codes_unique);
    g_test_add_func("/keymap/pause-hardware", test_pause_hardware);
    g_test_add_func("/keymap/split", test_split);
    g_test_add_func("/keymap/malformed", test_malformed);
    g_test_add_func("/keymap/random-bytes", test_random_bytes);
    return g_test_run();
}
