#include "client/keys.h"

#include <string.h>

#define SC_LSHIFT 0x2a
#define SC_LCTRL  0x1d
#define SC_LALT   0x38
#define SC_RALT   0x138
#define SC_LSUPER 0x15b

/* US layout, printable ASCII 0x20..0x7e: scancode and whether Shift is held. */
static const struct {
    guint8 code;
    bool shift;
} ascii[95] = {
    [' ' - 32] = {0x39, false}, ['!' - 32] = {0x02, true},   ['"' - 32] = {0x28, true},
    ['#' - 32] = {0x04, true},  ['$' - 32] = {0x05, true},   ['%' - 32] = {0x06, true},
    ['&' - 32] = {0x08, true},  ['\'' - 32] = {0x28, false}, ['(' - 32] = {0x0a, true},
    [')' - 32] = {0x0b, true},  ['*' - 32] = {0x09, true},   ['+' - 32] = {0x0d, true},
    [',' - 32] = {0x33, false}, ['-' - 32] = {0x0c, false},  ['.' - 32] = {0x34, false},
    ['/' - 32] = {0x35, false}, ['0' - 32] = {0x0b, false},  ['1' - 32] = {0x02, false},
    ['2' - 32] = {0x03, false}, ['3' - 32] = {0x04, false},  ['4' - 32] = {0x05, false},
    ['5' - 32] = {0x06, false}, ['6' - 32] = {0x07, false},  ['7' - 32] = {0x08, false},
    ['8' - 32] = {0x09, false}, ['9' - 32] = {0x0a, false},  [':' - 32] = {0x27, true},
    [';' - 32] = {0x27, false}, ['<' - 32] = {0x33, true},   ['=' - 32] = {0x0d, false},
    ['>' - 32] = {0x34, true},  ['?' - 32] = {0x35, true},   ['@' - 32] = {0x03, true},
    ['[' - 32] = {0x1a, false}, ['\\' - 32] = {0x2b, false}, [']' - 32] = {0x1b, false},
    ['^' - 32] = {0x07, true},  ['_' - 32] = {0x0c, true},   ['`' - 32] = {0x29, false},
    ['{' - 32] = {0x1a, true},  ['|' - 32] = {0x2b, true},   ['}' - 32] = {0x1b, true},
    ['~' - 32] = {0x29, true},
};

/* Letters in alphabetical order. */
static const guint8 letters[26] = {0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17,
                                   0x24, 0x25, 0x26, 0x32, 0x31, 0x18, 0x19, 0x10, 0x13,
                                   0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c};

static const struct {
    const char *name;
    guint code;
} named[] = {
    {"Return", 0x1c},    {"Enter", 0x1c},     {"Tab", 0x0f},       {"Escape", 0x01},
    {"BackSpace", 0x0e}, {"space", 0x39},     {"Delete", 0x153},   {"Insert", 0x152},
    {"Home", 0x147},     {"End", 0x14f},      {"Page_Up", 0x149},  {"Page_Down", 0x151},
    {"Up", 0x148},       {"Down", 0x150},     {"Left", 0x14b},     {"Right", 0x14d},
    {"F1", 0x3b},        {"F2", 0x3c},        {"F3", 0x3d},        {"F4", 0x3e},
    {"F5", 0x3f},        {"F6", 0x40},        {"F7", 0x41},        {"F8", 0x42},
    {"F9", 0x43},        {"F10", 0x44},       {"F11", 0x57},       {"F12", 0x58},
    {"Shift_L", 0x2a},   {"Shift_R", 0x36},   {"Control_L", 0x1d}, {"Control_R", 0x11d},
    {"Alt_L", 0x38},     {"Alt_R", 0x138},    {"Super_L", 0x15b},  {"Super_R", 0x15c},
    {"Menu", 0x15d},     {"Caps_Lock", 0x3a}, {"KP_Enter", 0x11c},
};

static const struct {
    const char *name;
    guint code;
} modifiers[] = {
    {"ctrl", SC_LCTRL}, {"shift", SC_LSHIFT}, {"alt", SC_LALT},
    {"altgr", SC_RALT}, {"super", SC_LSUPER},
};

static void push(GArray *out, guint code, bool press)
{
    struct key_event e = {code, press};
    g_array_append_val(out, e);
}

/* Scancode and shift for one printable character; false if not typable. */
static bool char_code(char c, guint *ret_code, bool *ret_shift)
{
    if (c >= 'a' && c <= 'z') {
        *ret_code = letters[c - 'a'];
        *ret_shift = false;
        return true;
    }
    if (c >= 'A' && c <= 'Z') {
        *ret_code = letters[c - 'A'];
        *ret_shift = true;
        return true;
    }
    if (c >= 32 && c < 127 && ascii[c - 32].code) {
        *ret_code = ascii[c - 32].code;
        *ret_shift = ascii[c - 32].shift;
        return true;
    }
    return false;
}

static void type_code(GArray *out, guint code, bool shift)
{
    if (shift)
        push(out, SC_LSHIFT, true);
    push(out, code, true);
    push(out, code, false);
    if (shift)
        push(out, SC_LSHIFT, false);
}

/* {ctrl+alt+Delete} or {Return} or {a}. */
static bool parse_braced(GArray *out, const char *body, char **ret_error)
{
    g_auto(GStrv) parts = g_strsplit(body, "+", -1);
    guint n = g_strv_length(parts);
    if (n == 0 || !*parts[n - 1]) {
        *ret_error = g_strdup_printf("--send-keys: empty key name in {%s}", body);
        return false;
    }
    guint mods[8];
    guint n_mods = 0;
    for (guint i = 0; i + 1 < n; i++) {
        bool found = false;
        for (guint m = 0; m < G_N_ELEMENTS(modifiers); m++) {
            if (g_ascii_strcasecmp(parts[i], modifiers[m].name) == 0 && n_mods < 8) {
                mods[n_mods++] = modifiers[m].code;
                found = true;
            }
        }
        if (!found) {
            *ret_error = g_strdup_printf(
                "--send-keys: unknown modifier '%s' in {%s} (expected ctrl, shift, alt, altgr or super)",
                parts[i], body);
            return false;
        }
    }
    const char *key = parts[n - 1];
    guint code = 0;
    bool shift = false;
    for (guint k = 0; k < G_N_ELEMENTS(named); k++)
        if (strcmp(named[k].name, key) == 0)
            code = named[k].code;
    if (!code && !(strlen(key) == 1 && char_code(key[0], &code, &shift))) {
        *ret_error = g_strdup_printf(
            "--send-keys: unknown key name '%s' (expected Return, Tab, Escape, BackSpace, Up, F1, ... or one character)",
            key);
        return false;
    }
    for (guint i = 0; i < n_mods; i++)
        push(out, mods[i], true);
    type_code(out, code, shift);
    for (guint i = n_mods; i > 0; i--)
        push(out, mods[i - 1], false);
    return true;
}

GArray *keys_parse(const char *script, char **ret_error)
{
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(struct key_event));
    for (const char *p = script; *p; p++) {
        guint code;
        bool shift;
        if (p[0] == '{' && p[1] == '{') {
            type_code(out, 0x1a, true);
            p++;
        } else if (*p == '{') {
            const char *close = strchr(p + 1, '}');
            if (!close || close == p + 1) {
                *ret_error = g_strdup_printf(
                    "--send-keys: unclosed or empty '{' at offset %d (write {{ for a brace)",
                    (int)(p - script));
                return NULL;
            }
            g_autofree char *body = g_strndup(p + 1, close - p - 1);
            if (!parse_braced(out, body, ret_error))
                return NULL;
            p = close;
        } else if (*p == '\n') {
            type_code(out, 0x1c, false);
        } else if (*p == '\t') {
            type_code(out, 0x0f, false);
        } else if (char_code(*p, &code, &shift)) {
            type_code(out, code, shift);
        } else {
            *ret_error = g_strdup_printf(
                "--send-keys: cannot type byte 0x%02x at offset %d with a US layout (use {Name} for keys)",
                (guint8)*p, (int)(p - script));
            return NULL;
        }
    }
    return g_steal_pointer(&out);
}
