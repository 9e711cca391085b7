/* hotkey: key combinations as written in settings and .vv files
 * ("shift+f12", "ctrl+alt+shift+F12", "ctrl+alt+end"), for matching GDK key
 * events and for spice-gtk's grab sequences. */
#pragma once

#include <gdk/gdk.h>
#include <stdbool.h>

struct hotkey {
    guint keyval;         /* lowercase GDK keyval */
    GdkModifierType mods; /* subset of ctrl, shift, alt (mod1), super */
};

/* False if @text names an unknown modifier or key. */
bool hotkey_parse(const char *text, struct hotkey *ret);

/* True if @event is @hk (extra lock modifiers are ignored). */
bool hotkey_matches(const struct hotkey *hk, const GdkEventKey *event);

/* Keysyms for spice_grab_sequence_new(): modifiers (left ones) then the key.
 * Returns the count written (at most 5). */
guint hotkey_keysyms(const struct hotkey *hk, guint ret_keysyms[5]);
