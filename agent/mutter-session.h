/* mutter-session: the agent's one Mutter remote-desktop session (GNOME on
 * Wayland), shared by capture and input.
 *
 * Mutter lets only the creator of a remote-desktop session drive it, and
 * absolute pointer motion names the session's screen-cast stream, so capture
 * and input must use the same session. The composition root owns it and hands
 * each side a narrow view: capture gets a struct capture_stream_source (open
 * the stream, get its PipeWire node, close it), input gets a struct
 * injector_remote_desktop (call a Notify* method, name the stream), the
 * clipboard a struct clipboard_remote_desktop (the connection and the started
 * session's path, whose clipboard methods only the creator may call). Neither
 * sees the other, nor D-Bus object paths beyond the stream's.
 *
 * The session opens when capture starts (the first client connected) and
 * closes shortly after capture stops (the last client left), so GNOME's
 * "screen is being shared" indicator shows only while someone watches. The
 * close waits for the main loop to come round once: the input side releases
 * held keys first, in the same D-Bus connection, so they arrive before Stop.
 *
 * Main loop only. Talks plain GVariants over GDBus to org.gnome.Mutter.
 * RemoteDesktop (API version 1) and org.gnome.Mutter.ScreenCast (version 4),
 * the same from mutter 43 to 48. */
#pragma once

#include "display/capture.h"
#include "display/clipboard.h"
#include "input/injector.h"

struct mutter_session;

/* Connects to the session bus. Returns NULL and sets @ret_error (a new
 * string) when mutter's remote desktop is not there. Opens no session yet. */
struct mutter_session *mutter_session_create(char **ret_error);
/* Closes the session if one is open. Accepts NULL. */
void mutter_session_destroy(struct mutter_session *session);

/* The views for capture and input; valid while @session lives. */
const struct capture_stream_source *mutter_session_stream_source(struct mutter_session *session);
const struct injector_remote_desktop *mutter_session_input(struct mutter_session *session);
/* The clipboard's view: the session's connection, and news of each started
 * session's path (NULL when it ends). */
const struct clipboard_remote_desktop *mutter_session_clipboard(struct mutter_session *session);
