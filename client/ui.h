/* ui: the windows of the thindesk client on spice-gtk's SpiceDisplay widget:
 * one window per remote monitor, full screen, kiosk mode (cannot be closed,
 * only the admin hotkey leaves), a status page while disconnected, a password
 * prompt and error dialogs. Call gtk_init() before ui_create(). */
#pragma once

#include <spice-client.h>
#include <stdbool.h>

#include "client/exit-status.h"
#include "client/settings.h"

struct ui;
struct connection;

struct ui_callbacks {
    /* The user closed the client (window closed, admin hotkey, dialog). */
    void (*quit)(enum exit_status status, void *data);
    /* Answer to ui_ask_password(): a new password, or NULL if cancelled. */
    void (*password)(const char *password, void *data);
};

struct ui *ui_create(const struct settings *s, const struct ui_callbacks *cb, void *data);
/* Detaches, closes the windows and any dialog still open. */
void ui_destroy(struct ui *ui);

/* What of spice-gtk's GStreamer audio works here (see gst-check). */
void ui_set_audio(struct ui *ui, bool playback, bool record);

/* A channel of the current connection was created. Returns true if the ui
 * keeps it from being connected: an audio channel that spice-gtk's audio
 * cannot serve (GStreamer lacks an element) stays unconnected.
 * Note: the connection connects every other channel before SpiceAudio's
 * own handler sees it, and SpiceAudio only hooks unconnected ones, so the
 * windows do not play or record through GStreamer today. */
bool ui_channel_new(struct ui *ui, struct connection *c, SpiceChannel *channel);

/* The current connection has its first frame: show the desktop. */
void ui_ready(struct ui *ui);

/* The current connection is going away: drop its display widgets and take
 * our handlers off its channels (call it before destroying the connection). */
void ui_detach(struct ui *ui);

/* Shows the status page (in every window) with a headline and a reason. */
void ui_show_status(struct ui *ui, const char *headline, const char *reason);

/* Asks for the password; answers through the password callback. */
void ui_ask_password(struct ui *ui, const char *reason);

/* Shows @message in a modal dialog, then calls quit(@status). */
void ui_fatal(struct ui *ui, enum exit_status status, const char *message);
