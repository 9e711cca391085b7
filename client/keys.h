/* keys: turns a --send-keys script into PC set-1 scancode presses and
 * releases, as spice_inputs_channel_key_press() takes them (extended keys
 * are 0x100 | code instead of an 0xe0 prefix).
 *
 * Script syntax: printable US-ASCII text is typed with the US layout
 * (uppercase and symbols with Shift); "\n" and "\t" type Return and Tab;
 * {Name} presses a named key (Return, Tab, Escape, BackSpace, Delete, Up,
 * Down, Left, Right, Home, End, Page_Up, Page_Down, Insert, space, F1..F12,
 * Super_L, Menu, or a single character); {ctrl+alt+Delete} holds modifiers
 * (ctrl, shift, alt, altgr, super) around a key; "{{" types "{".
 * Pure C on GLib. */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct key_event {
    guint scancode;
    bool press;
};

/* Parses @script into a new array of struct key_event in order. NULL and
 * *ret_error (new string naming the offending part) on bad input. */
GArray *keys_parse(const char *script, char **ret_error);
