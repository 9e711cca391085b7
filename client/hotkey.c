#include "client/hotkey.h"

#include <string.h>

#define MOD_MASK (GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_MOD1_MASK | GDK_SUPER_MASK)

bool hotkey_parse(const char *text, struct hotkey *ret)
{
    g_auto(GStrv) parts = g_strsplit(text, "+", -1);
    guint n = g_strv_length(parts);
    if (n == 0)
        return false;
    GdkModifierType mods = 0;
    for (guint i = 0; i + 1 < n; i++) {
        const char *m = parts[i];
        if (!g_ascii_strcasecmp(m, "ctrl") || !g_ascii_strcasecmp(m, "control"))
            mods |= GDK_CONTROL_MASK;
        else if (!g_ascii_strcasecmp(m, "shift"))
            mods |= GDK_SHIFT_MASK;
        else if (!g_ascii_strcasecmp(m, "alt"))
            mods |= GDK_MOD1_MASK;
        else if (!g_ascii_strcasecmp(m, "super") || !g_ascii_strcasecmp(m, "win"))
            mods |= GDK_SUPER_MASK;
        else
            return false;
    }
    const char *key = parts[n - 1];
    if (!*key)
        return false;
    guint keyval = gdk_keyval_from_name(key);
    if (keyval == GDK_KEY_VoidSymbol || keyval == 0) {
        g_autofree char *cap = g_strdup(key);
        cap[0] = g_ascii_toupper(cap[0]);
        keyval = gdk_keyval_from_name(cap);
    }
    if (keyval == GDK_KEY_VoidSymbol || keyval == 0)
        return false;
    ret->keyval = gdk_keyval_to_lower(keyval);
    ret->mods = mods;
    return true;
}

bool hotkey_matches(const struct hotkey *hk, const GdkEventKey *event)
{
    if ((event->state & MOD_MASK) != hk->mods)
        return false;
    if (gdk_keyval_to_lower(event->keyval) == hk->keyval)
        return true;
    /* With modifiers the layout may give another keysym (Ctrl+Alt+F12 is
     * XF86Switch_VT_12 in the us layout): compare the key's base keysym. */
    guint base = 0;
    GdkKeymap *keymap = gdk_keymap_get_for_display(gdk_display_get_default());
    return gdk_keymap_translate_keyboard_state(keymap, event->hardware_keycode, 0, event->group,
                                               &base, NULL, NULL, NULL) &&
           gdk_keyval_to_lower(base) == hk->keyval;
}

guint hotkey_keysyms(const struct hotkey *hk, guint ret_keysyms[5])
{
    guint n = 0;
    if (hk->mods & GDK_CONTROL_MASK)
        ret_keysyms[n++] = GDK_KEY_Control_L;
    if (hk->mods & GDK_MOD1_MASK)
        ret_keysyms[n++] = GDK_KEY_Alt_L;
    if (hk->mods & GDK_SHIFT_MASK)
        ret_keysyms[n++] = GDK_KEY_Shift_L;
    if (hk->mods & GDK_SUPER_MASK)
        ret_keysyms[n++] = GDK_KEY_Super_L;
    ret_keysyms[n++] = hk->keyval;
    return n;
}
