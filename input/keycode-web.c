#include "input/keycode-web.h"

#include <string.h>

struct entry {
    const char *name;
    uint16_t scancode;
};

#define EXT(make) (0xe000 | (make))

/* Every KeyboardEvent.code value of the W3C UI Events code spec that has a
 * PC keyboard scancode, plus the names Chromium and older Firefox releases
 * also report. Set-1 make codes as in Microsoft's keyboard scan code
 * specification; where PC keyboards disagree (F13-F24, Pause, Print Screen)
 * the values are the ones SPICE clients send, i.e. the ones
 * input/keymap.c decodes to the key's evdev code. */
static const struct entry table[] = {
    /* writing system keys */
    {"Backquote", 0x29},
    {"Backslash", 0x2b},
    {"BracketLeft", 0x1a},
    {"BracketRight", 0x1b},
    {"Comma", 0x33},
    {"Digit0", 0x0b},
    {"Digit1", 0x02},
    {"Digit2", 0x03},
    {"Digit3", 0x04},
    {"Digit4", 0x05},
    {"Digit5", 0x06},
    {"Digit6", 0x07},
    {"Digit7", 0x08},
    {"Digit8", 0x09},
    {"Digit9", 0x0a},
    {"Equal", 0x0d},
    {"IntlBackslash", 0x56}, /* left of Z on ISO keyboards */
    {"IntlRo", 0x73},        /* Japanese and Brazilian "/ ?" */
    {"IntlYen", 0x7d},
    {"KeyA", 0x1e},
    {"KeyB", 0x30},
    {"KeyC", 0x2e},
    {"KeyD", 0x20},
    {"KeyE", 0x12},
    {"KeyF", 0x21},
    {"KeyG", 0x22},
    {"KeyH", 0x23},
    {"KeyI", 0x17},
    {"KeyJ", 0x24},
    {"KeyK", 0x25},
    {"KeyL", 0x26},
    {"KeyM", 0x32},
    {"KeyN", 0x31},
    {"KeyO", 0x18},
    {"KeyP", 0x19},
    {"KeyQ", 0x10},
    {"KeyR", 0x13},
    {"KeyS", 0x1f},
    {"KeyT", 0x14},
    {"KeyU", 0x16},
    {"KeyV", 0x2f},
    {"KeyW", 0x11},
    {"KeyX", 0x2d},
    {"KeyY", 0x15},
    {"KeyZ", 0x2c},
    {"Minus", 0x0c},
    {"Period", 0x34},
    {"Quote", 0x28},
    {"Semicolon", 0x27},
    {"Slash", 0x35},

    /* functional keys */
    {"AltLeft", 0x38},
    {"AltRight", EXT(0x38)},
    {"Backspace", 0x0e},
    {"CapsLock", 0x3a},
    {"ContextMenu", EXT(0x5d)},
    {"ControlLeft", 0x1d},
    {"ControlRight", EXT(0x1d)},
    {"Enter", 0x1c},
    {"MetaLeft", EXT(0x5b)},
    {"MetaRight", EXT(0x5c)},
    {"ShiftLeft", 0x2a},
    {"ShiftRight", 0x36},
    {"Space", 0x39},
    {"Tab", 0x0f},
    {"Convert", 0x79},    /* Japanese henkan */
    {"KanaMode", 0x70},   /* Japanese katakana/hiragana */
    {"Lang1", 0x72},      /* Korean Han/Yeong (keyboards send 0xf2, without
                           * a release; Windows and QEMU use 0x72) */
    {"Lang2", 0x71},      /* Korean Hanja (0xf1 likewise) */
    {"Lang3", 0x78},      /* Japanese katakana */
    {"Lang4", 0x77},      /* Japanese hiragana */
    {"Lang5", 0x76},      /* Japanese zenkaku/hankaku */
    {"NonConvert", 0x7b}, /* Japanese muhenkan */

    /* control pad */
    {"Delete", EXT(0x53)},
    {"End", EXT(0x4f)},
    {"Help", EXT(0x75)},
    {"Home", EXT(0x47)},
    {"Insert", EXT(0x52)},
    {"PageDown", EXT(0x51)},
    {"PageUp", EXT(0x49)},

    /* arrow pad */
    {"ArrowDown", EXT(0x50)},
    {"ArrowLeft", EXT(0x4b)},
    {"ArrowRight", EXT(0x4d)},
    {"ArrowUp", EXT(0x48)},

    /* numpad */
    {"NumLock", 0x45},
    {"Numpad0", 0x52},
    {"Numpad1", 0x4f},
    {"Numpad2", 0x50},
    {"Numpad3", 0x51},
    {"Numpad4", 0x4b},
    {"Numpad5", 0x4c},
    {"Numpad6", 0x4d},
    {"Numpad7", 0x47},
    {"Numpad8", 0x48},
    {"Numpad9", 0x49},
    {"NumpadAdd", 0x4e},
    {"NumpadComma", 0x7e},
    {"NumpadDecimal", 0x53},
    {"NumpadDivide", EXT(0x35)},
    {"NumpadEnter", EXT(0x1c)},
    {"NumpadEqual", 0x59},
    {"NumpadMultiply", 0x37},
    {"NumpadParenLeft", EXT(0x76)},
    {"NumpadParenRight", EXT(0x7b)},
    {"NumpadSubtract", 0x4a},

    /* function section */
    {"Escape", 0x01},
    {"F1", 0x3b},
    {"F2", 0x3c},
    {"F3", 0x3d},
    {"F4", 0x3e},
    {"F5", 0x3f},
    {"F6", 0x40},
    {"F7", 0x41},
    {"F8", 0x42},
    {"F9", 0x43},
    {"F10", 0x44},
    {"F11", 0x57},
    {"F12", 0x58},
    {"F13", 0x5d},
    {"F14", 0x5e},
    {"F15", 0x5f},
    {"F16", 0x55},
    {"F17", EXT(0x03)},
    {"F18", EXT(0x77)},
    {"F19", EXT(0x04)},
    {"F20", 0x5a},
    {"F21", 0x74},
    {"F22", EXT(0x79)},
    {"F23", 0x6d},
    {"F24", 0x6f},
    {"PrintScreen", EXT(0x37)},
    {"ScrollLock", 0x46},
    {"Pause", EXT(0x46)}, /* what SPICE clients send instead of 0xe1 0x1d 0x45 */

    /* media keys */
    {"BrowserBack", EXT(0x6a)},
    {"BrowserFavorites", EXT(0x66)},
    {"BrowserForward", EXT(0x69)},
    {"BrowserHome", EXT(0x32)},
    {"BrowserRefresh", EXT(0x67)},
    {"BrowserSearch", EXT(0x65)},
    {"BrowserStop", EXT(0x68)},
    {"Eject", EXT(0x7d)},
    {"LaunchApp1", EXT(0x6b)}, /* "My Computer" */
    {"LaunchApp2", EXT(0x21)}, /* "Calculator" */
    {"LaunchMail", EXT(0x6c)},
    {"MediaPlayPause", EXT(0x22)},
    {"MediaSelect", EXT(0x6d)},
    {"MediaStop", EXT(0x24)},
    {"MediaTrackNext", EXT(0x19)},
    {"MediaTrackPrevious", EXT(0x10)},
    {"Power", EXT(0x5e)},
    {"Sleep", EXT(0x5f)},
    {"AudioVolumeDown", EXT(0x2e)},
    {"AudioVolumeMute", EXT(0x20)},
    {"AudioVolumeUp", EXT(0x30)},
    {"WakeUp", EXT(0x63)},

    /* legacy keys (Sun and other old keyboards) */
    {"Again", EXT(0x05)},
    {"Copy", EXT(0x78)},
    {"Cut", EXT(0x3c)},
    {"Find", EXT(0x41)},
    {"Open", 0x64},
    {"Paste", 0x65},
    {"Props", EXT(0x06)},
    {"Undo", EXT(0x07)},
    {"Suspend", EXT(0x25)},
    {"Hiragana", 0x77},
    {"Katakana", 0x78},

    /* Chromium's names beyond the spec */
    {"BrightnessDown", EXT(0x4c)},
    {"BrightnessUp", EXT(0x54)},
    {"MediaPlay", EXT(0x28)},
    {"MediaPause", EXT(0x29)},
    {"MediaRecord", EXT(0x31)},
    {"MediaFastForward", EXT(0x34)},
    {"MediaRewind", EXT(0x18)},
    {"MailReply", EXT(0x64)},
    {"MailForward", EXT(0x0e)},
    {"MailSend", EXT(0x5a)},
    {"New", EXT(0x09)},
    {"Redo", EXT(0x0a)},
    {"Close", EXT(0x2f)},
    {"Save", EXT(0x55)},
    {"Print", EXT(0x39)},

    /* names older Firefox releases report */
    {"OSLeft", EXT(0x5b)},
    {"OSRight", EXT(0x5c)},
    {"VolumeDown", EXT(0x2e)},
    {"VolumeMute", EXT(0x20)},
    {"VolumeUp", EXT(0x30)},
};

#define N_ENTRIES (sizeof(table) / sizeof(table[0]))

uint16_t keycode_web_lookup(const char *code, size_t len)
{
    if (!code || len == 0 || len > KEYCODE_WEB_MAX_LEN)
        return 0;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, code, len) == 0)
            return table[i].scancode;
    }
    return 0;
}

size_t keycode_web_bytes(uint16_t scancode, bool pressed, uint8_t ret_bytes[2])
{
    uint8_t make = scancode & 0x7f;
    if (!make)
        return 0;
    uint8_t byte = pressed ? make : (uint8_t)(make | 0x80);
    if ((scancode & 0xff00) == 0xe000) {
        ret_bytes[0] = 0xe0;
        ret_bytes[1] = byte;
        return 2;
    }
    ret_bytes[0] = byte;
    return 1;
}

size_t keycode_web_count(void)
{
    return N_ENTRIES;
}

const char *keycode_web_name(size_t i, uint16_t *ret_scancode)
{
    if (i >= N_ENTRIES)
        return NULL;
    if (ret_scancode)
        *ret_scancode = table[i].scancode;
    return table[i].name;
}
