#include "input/keymap.h"

#include <glib.h>
#include <linux/input-event-codes.h>

/* Set-1 make codes (the IBM PC AT "scan code set 1", as translated by the
 * 8042 and documented in Microsoft's keyboard scan code specification) for
 * every key of the 101/102/104/105-key PC keyboards, the Japanese, Korean and
 * Brazilian extras, and the "Internet"/ACPI keys. Where keyboards disagree for
 * rare keys (F13-F24, Sun keys), the values follow the XT-keyboard column of
 * keycodemapdb, which is what QEMU and spice-gtk send: a key pressed in a
 * spice-gtk client reaches the guest as the same evdev code it had there. */
static const uint16_t single_keys[0x80] = {
    [0x01] = KEY_ESC,
    [0x02] = KEY_1,
    [0x03] = KEY_2,
    [0x04] = KEY_3,
    [0x05] = KEY_4,
    [0x06] = KEY_5,
    [0x07] = KEY_6,
    [0x08] = KEY_7,
    [0x09] = KEY_8,
    [0x0a] = KEY_9,
    [0x0b] = KEY_0,
    [0x0c] = KEY_MINUS,
    [0x0d] = KEY_EQUAL,
    [0x0e] = KEY_BACKSPACE,
    [0x0f] = KEY_TAB,
    [0x10] = KEY_Q,
    [0x11] = KEY_W,
    [0x12] = KEY_E,
    [0x13] = KEY_R,
    [0x14] = KEY_T,
    [0x15] = KEY_Y,
    [0x16] = KEY_U,
    [0x17] = KEY_I,
    [0x18] = KEY_O,
    [0x19] = KEY_P,
    [0x1a] = KEY_LEFTBRACE,
    [0x1b] = KEY_RIGHTBRACE,
    [0x1c] = KEY_ENTER,
    [0x1d] = KEY_LEFTCTRL,
    [0x1e] = KEY_A,
    [0x1f] = KEY_S,
    [0x20] = KEY_D,
    [0x21] = KEY_F,
    [0x22] = KEY_G,
    [0x23] = KEY_H,
    [0x24] = KEY_J,
    [0x25] = KEY_K,
    [0x26] = KEY_L,
    [0x27] = KEY_SEMICOLON,
    [0x28] = KEY_APOSTROPHE,
    [0x29] = KEY_GRAVE,
    [0x2a] = KEY_LEFTSHIFT,
    [0x2b] = KEY_BACKSLASH,
    [0x2c] = KEY_Z,
    [0x2d] = KEY_X,
    [0x2e] = KEY_C,
    [0x2f] = KEY_V,
    [0x30] = KEY_B,
    [0x31] = KEY_N,
    [0x32] = KEY_M,
    [0x33] = KEY_COMMA,
    [0x34] = KEY_DOT,
    [0x35] = KEY_SLASH,
    [0x36] = KEY_RIGHTSHIFT,
    [0x37] = KEY_KPASTERISK,
    [0x38] = KEY_LEFTALT,
    [0x39] = KEY_SPACE,
    [0x3a] = KEY_CAPSLOCK,
    [0x3b] = KEY_F1,
    [0x3c] = KEY_F2,
    [0x3d] = KEY_F3,
    [0x3e] = KEY_F4,
    [0x3f] = KEY_F5,
    [0x40] = KEY_F6,
    [0x41] = KEY_F7,
    [0x42] = KEY_F8,
    [0x43] = KEY_F9,
    [0x44] = KEY_F10,
    [0x45] = KEY_NUMLOCK,
    [0x46] = KEY_SCROLLLOCK,
    [0x47] = KEY_KP7,
    [0x48] = KEY_KP8,
    [0x49] = KEY_KP9,
    [0x4a] = KEY_KPMINUS,
    [0x4b] = KEY_KP4,
    [0x4c] = KEY_KP5,
    [0x4d] = KEY_KP6,
    [0x4e] = KEY_KPPLUS,
    [0x4f] = KEY_KP1,
    [0x50] = KEY_KP2,
    [0x51] = KEY_KP3,
    [0x52] = KEY_KP0,
    [0x53] = KEY_KPDOT,
    [0x54] = KEY_SYSRQ, /* Alt+Print; spice-gtk sends it for Print too */
    [0x55] = KEY_F16,
    [0x56] = KEY_102ND, /* the extra key left of Z on ISO keyboards */
    [0x57] = KEY_F11,
    [0x58] = KEY_F12,
    [0x59] = KEY_KPEQUAL,
    [0x5a] = KEY_F20,
    [0x5b] = KEY_LINEFEED,
    [0x5c] = KEY_KPJPCOMMA,
    [0x5d] = KEY_F13,
    [0x5e] = KEY_F14,
    [0x5f] = KEY_F15,
    [0x63] = KEY_PHONE,
    [0x64] = KEY_OPEN,
    [0x65] = KEY_PASTE,
    [0x66] = KEY_SETUP,
    [0x67] = KEY_FILE,
    [0x68] = KEY_SENDFILE,
    [0x69] = KEY_DELETEFILE,
    [0x6a] = KEY_MSDOS,
    [0x6b] = KEY_DIRECTION,
    [0x6c] = KEY_EJECTCD,
    [0x6d] = KEY_F23,
    [0x6f] = KEY_F24,
    [0x70] = KEY_KATAKANAHIRAGANA,
    /* Korean keyboards send Hanja and Han/Yeong as 0xf1 and 0xf2, with no
     * release, which collides with the release bit; Windows and QEMU carry
     * them as 0x71 and 0x72. */
    [0x71] = KEY_HANJA,
    [0x72] = KEY_HANGEUL,
    [0x73] = KEY_RO, /* Brazilian / Japanese "/ ?" key */
    [0x74] = KEY_F21,
    [0x75] = KEY_SCROLLUP,
    [0x76] = KEY_ZENKAKUHANKAKU,
    [0x77] = KEY_HIRAGANA,
    [0x78] = KEY_KATAKANA,
    [0x79] = KEY_HENKAN,
    [0x7b] = KEY_MUHENKAN,
    [0x7d] = KEY_YEN,
    [0x7e] = KEY_KPCOMMA,
};

/* Make codes after an 0xe0 prefix. */
static const uint16_t extended_keys[0x80] = {
    [0x01] = KEY_CONFIG,
    [0x02] = KEY_WWW,
    [0x03] = KEY_F17,
    [0x04] = KEY_F19,
    [0x05] = KEY_AGAIN,
    [0x06] = KEY_PROPS,
    [0x07] = KEY_UNDO,
    [0x08] = KEY_EDIT,
    [0x09] = KEY_NEW,
    [0x0a] = KEY_REDO,
    [0x0b] = KEY_SCALE,
    [0x0c] = KEY_FRONT,
    [0x0d] = KEY_HANJA,
    [0x0e] = KEY_FORWARDMAIL,
    [0x0f] = KEY_SCROLLDOWN,
    [0x10] = KEY_PREVIOUSSONG,
    [0x12] = KEY_SCREENLOCK,
    [0x13] = KEY_XFER,
    [0x14] = KEY_ALTERASE,
    [0x17] = KEY_PROG2,
    [0x18] = KEY_REWIND,
    [0x19] = KEY_NEXTSONG,
    [0x1c] = KEY_KPENTER,
    [0x1d] = KEY_RIGHTCTRL,
    [0x1e] = KEY_MENU,
    [0x1f] = KEY_PROG1,
    [0x20] = KEY_MUTE,
    [0x21] = KEY_CALC,
    [0x22] = KEY_PLAYPAUSE,
    [0x23] = KEY_CLOSECD,
    [0x24] = KEY_STOPCD,
    [0x25] = KEY_SUSPEND,
    [0x26] = KEY_CYCLEWINDOWS,
    [0x28] = KEY_PLAYCD,
    [0x29] = KEY_PAUSECD,
    /* 0x2a, 0x36: the "fake shifts" around Print and the grey keys: ignored */
    [0x2b] = KEY_PROG3,
    [0x2c] = KEY_PROG4,
    [0x2d] = KEY_DASHBOARD,
    [0x2e] = KEY_VOLUMEDOWN,
    [0x2f] = KEY_CLOSE,
    [0x30] = KEY_VOLUMEUP,
    [0x31] = KEY_RECORD,
    [0x32] = KEY_HOMEPAGE,
    [0x33] = KEY_PLAY,
    [0x34] = KEY_FASTFORWARD,
    [0x35] = KEY_KPSLASH,
    [0x37] = KEY_SYSRQ, /* Print Screen as a hardware keyboard sends it */
    [0x38] = KEY_RIGHTALT,
    [0x39] = KEY_PRINT,
    [0x3a] = KEY_HP,
    [0x3b] = KEY_CAMERA,
    [0x3c] = KEY_CUT,
    [0x3d] = KEY_SOUND,
    [0x3e] = KEY_QUESTION,
    [0x3f] = KEY_EMAIL,
    [0x40] = KEY_CHAT,
    [0x41] = KEY_FIND,
    [0x42] = KEY_CONNECT,
    [0x43] = KEY_FINANCE,
    [0x44] = KEY_SPORT,
    [0x45] = KEY_SHOP,
    [0x46] = KEY_PAUSE, /* Ctrl+Break; spice-gtk's keymap also maps Pause here */
    [0x47] = KEY_HOME,
    [0x48] = KEY_UP,
    [0x49] = KEY_PAGEUP,
    [0x4a] = KEY_CANCEL,
    [0x4b] = KEY_LEFT,
    [0x4c] = KEY_BRIGHTNESSDOWN,
    [0x4d] = KEY_RIGHT,
    [0x4e] = KEY_KPPLUSMINUS,
    [0x4f] = KEY_END,
    [0x50] = KEY_DOWN,
    [0x51] = KEY_PAGEDOWN,
    [0x52] = KEY_INSERT,
    [0x53] = KEY_DELETE,
    [0x54] = KEY_BRIGHTNESSUP,
    [0x55] = KEY_SAVE,
    [0x56] = KEY_SWITCHVIDEOMODE,
    [0x57] = KEY_KBDILLUMTOGGLE,
    [0x58] = KEY_KBDILLUMDOWN,
    [0x59] = KEY_KBDILLUMUP,
    [0x5a] = KEY_SEND,
    [0x5b] = KEY_LEFTMETA,
    [0x5c] = KEY_RIGHTMETA,
    [0x5d] = KEY_COMPOSE, /* the Menu key */
    [0x5e] = KEY_POWER,
    [0x5f] = KEY_SLEEP,
    [0x63] = KEY_WAKEUP,
    [0x64] = KEY_REPLY,
    [0x65] = KEY_SEARCH,
    [0x66] = KEY_BOOKMARKS,
    [0x67] = KEY_REFRESH,
    [0x68] = KEY_STOP,
    [0x69] = KEY_FORWARD,
    [0x6a] = KEY_BACK,
    [0x6b] = KEY_COMPUTER,
    [0x6c] = KEY_MAIL,
    [0x6d] = KEY_MEDIA,
    [0x6f] = KEY_MACRO,
    [0x70] = KEY_DOCUMENTS,
    [0x71] = KEY_BATTERY,
    [0x72] = KEY_BLUETOOTH,
    [0x73] = KEY_WLAN,
    [0x74] = KEY_UWB,
    [0x75] = KEY_HELP,
    [0x76] = KEY_KPLEFTPAREN,
    [0x77] = KEY_F18,
    [0x78] = KEY_COPY,
    [0x79] = KEY_F22,
    [0x7b] = KEY_KPRIGHTPAREN,
    [0x7d] = KEY_EJECTCLOSECD,
};

enum {
    STATE_IDLE,
    STATE_E0,    /* got 0xe0 */
    STATE_E1,    /* got 0xe1 */
    STATE_E1_1D, /* got 0xe1 0x1d (or 0xe1 0x9d) */
};

#define BYTE_E0       0xe0
#define BYTE_E1       0xe1
#define RELEASE_BIT   0x80
#define PAUSE_CTRL    0x1d
#define PAUSE_NUMLOCK 0x45

uint16_t keymap_lookup(bool extended, uint8_t scancode)
{
    if (scancode >= 0x80)
        return 0;
    return extended ? extended_keys[scancode] : single_keys[scancode];
}

void keymap_decoder_reset(struct keymap_decoder *d)
{
    /* What was logged stays logged. */
    d->state = STATE_IDLE;
    d->pause_release = false;
}

bool keymap_decoder_pending(const struct keymap_decoder *d)
{
    return d->state != STATE_IDLE;
}

static void log_unknown_once(struct keymap_decoder *d, bool extended, uint8_t make)
{
    unsigned bit = (extended ? 0x80u : 0u) | make;
    uint32_t mask = 1u << (bit % 32);
    if (d->unknown_logged[bit / 32] & mask)
        return;
    d->unknown_logged[bit / 32] |= mask;
    g_debug("dropping unknown scancode %s0x%02x", extended ? "0xe0 " : "", make);
}

static void log_broken_once(struct keymap_decoder *d, const char *what)
{
    if (d->broken_logged)
        return;
    d->broken_logged = true;
    g_debug("dropping a broken Pause sequence (%s); further ones are not logged", what);
}

static bool emit(struct keymap_decoder *d, bool extended, uint8_t byte, struct keymap_event *ret)
{
    uint8_t make = byte & ~RELEASE_BIT;
    uint16_t code = keymap_lookup(extended, make);
    if (!code) {
        log_unknown_once(d, extended, make);
        return false;
    }
    ret->code = code;
    ret->pressed = !(byte & RELEASE_BIT);
    return true;
}

bool keymap_decoder_feed(struct keymap_decoder *d, uint8_t byte, struct keymap_event *ret)
{
    switch (d->state) {
    case STATE_E0:
        d->state = STATE_IDLE;
        if (byte == BYTE_E0 || byte == BYTE_E1)
            break; /* a prefix after a prefix: start over with the new one */
        if ((byte & ~RELEASE_BIT) == 0x2a || (byte & ~RELEASE_BIT) == 0x36)
            return false; /* fake shift */
        return emit(d, true, byte, ret);
    case STATE_E1:
        if ((byte & ~RELEASE_BIT) == PAUSE_CTRL) {
            d->state = STATE_E1_1D;
            d->pause_release = byte & RELEASE_BIT;
            return false;
        }
        d->state = STATE_IDLE;
        log_broken_once(d, "0xe1 followed by another key");
        break;
    case STATE_E1_1D:
        d->state = STATE_IDLE;
        if ((byte & ~RELEASE_BIT) == PAUSE_NUMLOCK) {
            if (!!(byte & RELEASE_BIT) != d->pause_release) {
                log_broken_once(d, "press and release halves mixed");
                return false; /* never turn half a Pause into Num Lock */
            }
            ret->code = KEY_PAUSE;
            ret->pressed = !d->pause_release;
            return true;
        }
        log_broken_once(d, "0xe1 0x1d followed by another key");
        break;
    default:
        break;
    }

    /* Idle, or the byte that broke a sequence. */
    if (byte == BYTE_E0) {
        d->state = STATE_E0;
        return false;
    }
    if (byte == BYTE_E1) {
        d->state = STATE_E1;
        return false;
    }
    return emit(d, false, byte, ret);
}
