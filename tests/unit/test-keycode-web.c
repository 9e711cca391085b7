/* KeyboardEvent.code -> set-1 scancode, checked for every code value of the
 * W3C UI Events KeyboardEvent code spec, then through the SPICE scancode
 * decoder to the evdev code the desktop gets. The expected evdev codes are
 * the KEY_* the Linux kernel (atkbd) and QEMU's keycodemapdb give each
 * physical key; they are written here independently of the table. */
#include <glib.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "input/keycode-web.h"
#include "input/keymap.h"

struct want {
    const char *code;
    uint16_t scancode; /* 0: no PC scancode, must be refused */
    uint16_t evdev;
};

#define E(x) (0xe000 | (x))

static const struct want spec[] = {
    /* 3.1.1 writing system keys */
    {"Backquote", 0x29, KEY_GRAVE},
    {"Backslash", 0x2b, KEY_BACKSLASH},
    {"BracketLeft", 0x1a, KEY_LEFTBRACE},
    {"BracketRight", 0x1b, KEY_RIGHTBRACE},
    {"Comma", 0x33, KEY_COMMA},
    {"Digit0", 0x0b, KEY_0},
    {"Digit1", 0x02, KEY_1},
    {"Digit2", 0x03, KEY_2},
    {"Digit3", 0x04, KEY_3},
    {"Digit4", 0x05, KEY_4},
    {"Digit5", 0x06, KEY_5},
    {"Digit6", 0x07, KEY_6},
    {"Digit7", 0x08, KEY_7},
    {"Digit8", 0x09, KEY_8},
    {"Digit9", 0x0a, KEY_9},
    {"Equal", 0x0d, KEY_EQUAL},
    {"IntlBackslash", 0x56, KEY_102ND},
    {"IntlRo", 0x73, KEY_RO},
    {"IntlYen", 0x7d, KEY_YEN},
    {"KeyA", 0x1e, KEY_A},
    {"KeyB", 0x30, KEY_B},
    {"KeyC", 0x2e, KEY_C},
    {"KeyD", 0x20, KEY_D},
    {"KeyE", 0x12, KEY_E},
    {"KeyF", 0x21, KEY_F},
    {"KeyG", 0x22, KEY_G},
    {"KeyH", 0x23, KEY_H},
    {"KeyI", 0x17, KEY_I},
    {"KeyJ", 0x24, KEY_J},
    {"KeyK", 0x25, KEY_K},
    {"KeyL", 0x26, KEY_L},
    {"KeyM", 0x32, KEY_M},
    {"KeyN", 0x31, KEY_N},
    {"KeyO", 0x18, KEY_O},
    {"KeyP", 0x19, KEY_P},
    {"KeyQ", 0x10, KEY_Q},
    {"KeyR", 0x13, KEY_R},
    {"KeyS", 0x1f, KEY_S},
    {"KeyT", 0x14, KEY_T},
    {"KeyU", 0x16, KEY_U},
    {"KeyV", 0x2f, KEY_V},
    {"KeyW", 0x11, KEY_W},
    {"KeyX", 0x2d, KEY_X},
    {"KeyY", 0x15, KEY_Y},
    {"KeyZ", 0x2c, KEY_Z},
    {"Minus", 0x0c, KEY_MINUS},
    {"Period", 0x34, KEY_DOT},
    {"Quote", 0x28, KEY_APOSTROPHE},
    {"Semicolon", 0x27, KEY_SEMICOLON},
    {"Slash", 0x35, KEY_SLASH},
    /* 3.1.2 functional keys */
    {"AltLeft", 0x38, KEY_LEFTALT},
    {"AltRight", E(0x38), KEY_RIGHTALT},
    {"Backspace", 0x0e, KEY_BACKSPACE},
    {"CapsLock", 0x3a, KEY_CAPSLOCK},
    {"ContextMenu", E(0x5d), KEY_COMPOSE},
    {"ControlLeft", 0x1d, KEY_LEFTCTRL},
    {"ControlRight", E(0x1d), KEY_RIGHTCTRL},
    {"Enter", 0x1c, KEY_ENTER},
    {"MetaLeft", E(0x5b), KEY_LEFTMETA},
    {"MetaRight", E(0x5c), KEY_RIGHTMETA},
    {"ShiftLeft", 0x2a, KEY_LEFTSHIFT},
    {"ShiftRight", 0x36, KEY_RIGHTSHIFT},
    {"Space", 0x39, KEY_SPACE},
    {"Tab", 0x0f, KEY_TAB},
    {"Convert", 0x79, KEY_HENKAN},
    {"KanaMode", 0x70, KEY_KATAKANAHIRAGANA},
    {"Lang1", 0x72, KEY_HANGEUL},
    {"Lang2", 0x71, KEY_HANJA},
    {"Lang3", 0x78, KEY_KATAKANA},
    {"Lang4", 0x77, KEY_HIRAGANA},
    {"Lang5", 0x76, KEY_ZENKAKUHANKAKU},
    {"NonConvert", 0x7b, KEY_MUHENKAN},
    /* 3.2 control pad */
    {"Delete", E(0x53), KEY_DELETE},
    {"End", E(0x4f), KEY_END},
    {"Help", E(0x75), KEY_HELP},
    {"Home", E(0x47), KEY_HOME},
    {"Insert", E(0x52), KEY_INSERT},
    {"PageDown", E(0x51), KEY_PAGEDOWN},
    {"PageUp", E(0x49), KEY_PAGEUP},
    /* 3.3 arrow pad */
    {"ArrowDown", E(0x50), KEY_DOWN},
    {"ArrowLeft", E(0x4b), KEY_LEFT},
    {"ArrowRight", E(0x4d), KEY_RIGHT},
    {"ArrowUp", E(0x48), KEY_UP},
    /* 3.4 numpad */
    {"NumLock", 0x45, KEY_NUMLOCK},
    {"Numpad0", 0x52, KEY_KP0},
    {"Numpad1", 0x4f, KEY_KP1},
    {"Numpad2", 0x50, KEY_KP2},
    {"Numpad3", 0x51, KEY_KP3},
    {"Numpad4", 0x4b, KEY_KP4},
    {"Numpad5", 0x4c, KEY_KP5},
    {"Numpad6", 0x4d, KEY_KP6},
    {"Numpad7", 0x47, KEY_KP7},
    {"Numpad8", 0x48, KEY_KP8},
    {"Numpad9", 0x49, KEY_KP9},
    {"NumpadAdd", 0x4e, KEY_KPPLUS},
    {"NumpadBackspace", 0, 0},
    {"NumpadClear", 0, 0},
    {"NumpadClearEntry", 0, 0},
    {"NumpadComma", 0x7e, KEY_KPCOMMA},
    {"NumpadDecimal", 0x53, KEY_KPDOT},
    {"NumpadDivide", E(0x35), KEY_KPSLASH},
    {"NumpadEnter", E(0x1c), KEY_KPENTER},
    {"NumpadEqual", 0x59, KEY_KPEQUAL},
    {"NumpadHash", 0, 0},
    {"NumpadMemoryAdd", 0, 0},
    {"NumpadMemoryClear", 0, 0},
    {"NumpadMemoryRecall", 0, 0},
    {"NumpadMemoryStore", 0, 0},
    {"NumpadMemorySubtract", 0, 0},
    {"NumpadMultiply", 0x37, KEY_KPASTERISK},
    {"NumpadParenLeft", E(0x76), KEY_KPLEFTPAREN},
    {"NumpadParenRight", E(0x7b), KEY_KPRIGHTPAREN},
    {"NumpadStar", 0, 0},
    {"NumpadSubtract", 0x4a, KEY_KPMINUS},
    /* 3.5 function section */
    {"Escape", 0x01, KEY_ESC},
    {"F1", 0x3b, KEY_F1},
    {"F2", 0x3c, KEY_F2},
    {"F3", 0x3d, KEY_F3},
    {"F4", 0x3e, KEY_F4},
    {"F5", 0x3f, KEY_F5},
    {"F6", 0x40, KEY_F6},
    {"F7", 0x41, KEY_F7},
    {"F8", 0x42, KEY_F8},
    {"F9", 0x43, KEY_F9},
    {"F10", 0x44, KEY_F10},
    {"F11", 0x57, KEY_F11},
    {"F12", 0x58, KEY_F12},
    {"F13", 0x5d, KEY_F13},
    {"F14", 0x5e, KEY_F14},
    {"F15", 0x5f, KEY_F15},
    {"F16", 0x55, KEY_F16},
    {"F17", E(0x03), KEY_F17},
    {"F18", E(0x77), KEY_F18},
    {"F19", E(0x04), KEY_F19},
    {"F20", 0x5a, KEY_F20},
    {"F21", 0x74, KEY_F21},
    {"F22", E(0x79), KEY_F22},
    {"F23", 0x6d, KEY_F23},
    {"F24", 0x6f, KEY_F24},
    {"Fn", 0, 0},
    {"FnLock", 0, 0},
    {"PrintScreen", E(0x37), KEY_SYSRQ},
    {"ScrollLock", 0x46, KEY_SCROLLLOCK},
    {"Pause", E(0x46), KEY_PAUSE},
    /* 3.6 media keys */
    {"BrowserBack", E(0x6a), KEY_BACK},
    {"BrowserFavorites", E(0x66), KEY_BOOKMARKS},
    {"BrowserForward", E(0x69), KEY_FORWARD},
    {"BrowserHome", E(0x32), KEY_HOMEPAGE},
    {"BrowserRefresh", E(0x67), KEY_REFRESH},
    {"BrowserSearch", E(0x65), KEY_SEARCH},
    {"BrowserStop", E(0x68), KEY_STOP},
    {"Eject", E(0x7d), KEY_EJECTCLOSECD},
    {"LaunchApp1", E(0x6b), KEY_COMPUTER},
    {"LaunchApp2", E(0x21), KEY_CALC},
    {"LaunchMail", E(0x6c), KEY_MAIL},
    {"MediaPlayPause", E(0x22), KEY_PLAYPAUSE},
    {"MediaSelect", E(0x6d), KEY_MEDIA},
    {"MediaStop", E(0x24), KEY_STOPCD},
    {"MediaTrackNext", E(0x19), KEY_NEXTSONG},
    {"MediaTrackPrevious", E(0x10), KEY_PREVIOUSSONG},
    {"Power", E(0x5e), KEY_POWER},
    {"Sleep", E(0x5f), KEY_SLEEP},
    {"AudioVolumeDown", E(0x2e), KEY_VOLUMEDOWN},
    {"AudioVolumeMute", E(0x20), KEY_MUTE},
    {"AudioVolumeUp", E(0x30), KEY_VOLUMEUP},
    {"WakeUp", E(0x63), KEY_WAKEUP},
    /* 3.7 legacy, non-standard and special keys */
    {"Hyper", 0, 0},
    {"Super", 0, 0},
    {"Turbo", 0, 0},
    {"Abort", 0, 0},
    {"Resume", 0, 0},
    {"Suspend", E(0x25), KEY_SUSPEND},
    {"Again", E(0x05), KEY_AGAIN},
    {"Copy", E(0x78), KEY_COPY},
    {"Cut", E(0x3c), KEY_CUT},
    {"Find", E(0x41), KEY_FIND},
    {"Open", 0x64, KEY_OPEN},
    {"Paste", 0x65, KEY_PASTE},
    {"Props", E(0x06), KEY_PROPS},
    {"Select", 0, 0},
    {"Undo", E(0x07), KEY_UNDO},
    {"Hiragana", 0x77, KEY_HIRAGANA},
    {"Katakana", 0x78, KEY_KATAKANA},
    {"Unidentified", 0, 0},
    /* Chromium's codes beyond the spec (ui/events/keycodes/dom) */
    {"BrightnessDown", E(0x4c), KEY_BRIGHTNESSDOWN},
    {"BrightnessUp", E(0x54), KEY_BRIGHTNESSUP},
    {"MediaPlay", E(0x28), KEY_PLAYCD},
    {"MediaPause", E(0x29), KEY_PAUSECD},
    {"MediaRecord", E(0x31), KEY_RECORD},
    {"MediaFastForward", E(0x34), KEY_FASTFORWARD},
    {"MediaRewind", E(0x18), KEY_REWIND},
    {"MailReply", E(0x64), KEY_REPLY},
    {"MailForward", E(0x0e), KEY_FORWARDMAIL},
    {"MailSend", E(0x5a), KEY_SEND},
    {"New", E(0x09), KEY_NEW},
    {"Redo", E(0x0a), KEY_REDO},
    {"Close", E(0x2f), KEY_CLOSE},
    {"Save", E(0x55), KEY_SAVE},
    {"Print", E(0x39), KEY_PRINT},
    /* what Firefox before 118 and older Chromium report */
    {"OSLeft", E(0x5b), KEY_LEFTMETA},
    {"OSRight", E(0x5c), KEY_RIGHTMETA},
    {"VolumeDown", E(0x2e), KEY_VOLUMEDOWN},
    {"VolumeMute", E(0x20), KEY_MUTE},
    {"VolumeUp", E(0x30), KEY_VOLUMEUP},
};

/* Press and release through the byte decoder SPICE's inputs channel uses. */
static void check_decodes(const char *code, uint16_t scancode, uint16_t evdev)
{
    struct keymap_decoder d = {0};
    for (int pressed = 1; pressed >= 0; pressed--) {
        uint8_t bytes[2];
        size_t n = keycode_web_bytes(scancode, pressed, bytes);
        g_assert_cmpuint(n, ==, (scancode & 0xff00) ? 2 : 1);
        struct keymap_event ev = {0};
        bool got = false;
        for (size_t i = 0; i < n; i++) {
            g_assert_false(got);
            got = keymap_decoder_feed(&d, bytes[i], &ev);
        }
        if (!got)
            g_error("%s: scancode 0x%04x decodes to nothing", code, scancode);
        if (ev.code != evdev)
            g_error("%s: evdev %u, want %u", code, ev.code, evdev);
        g_assert_cmpint(ev.pressed, ==, pressed);
        g_assert_false(keymap_decoder_pending(&d));
    }
}

static void test_every_spec_code(void)
{
    int mapped = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(spec); i++) {
        const struct want *w = &spec[i];
        uint16_t sc = keycode_web_lookup(w->code, strlen(w->code));
        if (sc != w->scancode)
            g_error("%s: scancode 0x%04x, want 0x%04x", w->code, sc, w->scancode);
        if (sc) {
            check_decodes(w->code, sc, w->evdev);
            mapped++;
        }
    }
    g_assert_cmpint(mapped, ==, (int)keycode_web_count());
}

/* Every table entry is one the test expects (nothing untested hides there),
 * names are unique, and no two spec names share a key but the aliases. */
static void test_table_covered(void)
{
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < keycode_web_count(); i++) {
        uint16_t sc = 0;
        const char *name = keycode_web_name(i, &sc);
        g_assert_nonnull(name);
        g_assert_cmpuint(sc, !=, 0);
        g_assert_cmpuint(strlen(name), <=, KEYCODE_WEB_MAX_LEN);
        g_assert_false(g_hash_table_contains(names, name));
        g_hash_table_add(names, (gpointer)name);
        bool found = false;
        for (size_t j = 0; j < G_N_ELEMENTS(spec) && !found; j++)
            found = strcmp(spec[j].code, name) == 0 && spec[j].scancode == sc;
        if (!found)
            g_error("table entry %s (0x%04x) is not in the test's list", name, sc);
    }
    g_assert_null(keycode_web_name(keycode_web_count(), NULL));
    g_hash_table_destroy(names);
}

/* A US/ISO pc105 keyboard: each of its keys has its own evdev code. */
static void test_distinct_keys(void)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    static const char *const aliases[] = {"Lang3",      "Lang4",      "OSLeft",  "OSRight",
                                          "VolumeDown", "VolumeMute", "VolumeUp"};
    for (size_t i = 0; i < G_N_ELEMENTS(spec); i++) {
        bool alias = false;
        for (size_t a = 0; a < G_N_ELEMENTS(aliases); a++)
            alias |= strcmp(aliases[a], spec[i].code) == 0;
        if (!spec[i].scancode || alias)
            continue;
        gpointer key = GUINT_TO_POINTER(spec[i].scancode);
        if (g_hash_table_contains(seen, key))
            g_error("%s shares scancode 0x%04x", spec[i].code, spec[i].scancode);
        g_hash_table_add(seen, key);
    }
    g_hash_table_destroy(seen);
}

static void test_refused(void)
{
    g_assert_cmpuint(keycode_web_lookup(NULL, 0), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("", 0), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("KeyA", 0), ==, 0);
    /* case matters; prefixes and extensions are not the key */
    g_assert_cmpuint(keycode_web_lookup("keya", 4), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("KEYA", 4), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("Key", 3), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("KeyAA", 5), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("KeyA ", 5), ==, 0);
    g_assert_cmpuint(keycode_web_lookup(" KeyA", 5), ==, 0);
    /* the length, not a NUL, ends the name */
    g_assert_cmpuint(keycode_web_lookup("KeyAB", 4), ==, 0x1e);
    g_assert_cmpuint(keycode_web_lookup("KeyA\0Junk", 9), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("F1\0", 3), ==, 0);
    /* over-long: even a valid name padded past the limit */
    char long_name[KEYCODE_WEB_MAX_LEN + 2];
    memset(long_name, 'A', sizeof(long_name));
    g_assert_cmpuint(keycode_web_lookup(long_name, sizeof(long_name)), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("NumpadMemorySubtract", 20), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("\xff\xfe", 2), ==, 0);
    g_assert_cmpuint(keycode_web_lookup("IntlHash", 8), ==, 0);

    uint8_t bytes[2] = {0x55, 0x55};
    g_assert_cmpuint(keycode_web_bytes(0, true, bytes), ==, 0);
    g_assert_cmpuint(bytes[0], ==, 0x55);
}

static void test_bytes(void)
{
    uint8_t b[2];
    g_assert_cmpuint(keycode_web_bytes(0x1e, true, b), ==, 1);
    g_assert_cmpuint(b[0], ==, 0x1e);
    g_assert_cmpuint(keycode_web_bytes(0x1e, false, b), ==, 1);
    g_assert_cmpuint(b[0], ==, 0x9e);
    g_assert_cmpuint(keycode_web_bytes(E(0x38), true, b), ==, 2);
    g_assert_cmpuint(b[0], ==, 0xe0);
    g_assert_cmpuint(b[1], ==, 0x38);
    g_assert_cmpuint(keycode_web_bytes(E(0x38), false, b), ==, 2);
    g_assert_cmpuint(b[1], ==, 0xb8);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keycode-web/every-spec-code", test_every_spec_code);
    g_test_add_func("/keycode-web/table-covered", test_table_covered);
    g_test_add_func("/keycode-web/distinct-keys", test_distinct_keys);
    g_test_add_func("/keycode-web/refused", test_refused);
    g_test_add_func("/keycode-web/bytes", test_bytes);
    return g_test_run();
}
