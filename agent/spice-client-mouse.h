/* spice-client-mouse: lets spice-server 0.15 offer client (absolute) mouse
 * mode when the desktop is served through the stream device alone.
 *
 * spice-server allows client mouse mode only when a QXL instance says so
 * (reds_update_client_mouse_allowed: with no QXL instance it is never
 * allowed, whatever the agent channel does), and it asks again only when a
 * QXL primary surface is created or destroyed. With QXL instances but none
 * holding a primary surface it allows it. So this module registers a QXL
 * instance that never draws: it creates a tiny primary surface and destroys
 * it at once, before any client connects. Clients then see a second display
 * channel that never has a surface (remote-viewer shows no window for it),
 * and absolute positions reach the agent as VD_AGENT_MOUSE_STATE with the
 * stream's display id. Main loop only. */
#pragma once

#include <spice.h>

struct spice_client_mouse;

/* Registers the surface-less QXL instance as display channel @channel_id
 * (one not taken by another display channel). NULL on failure. */
struct spice_client_mouse *spice_client_mouse_create(SpiceServer *server, int channel_id);
void spice_client_mouse_destroy(struct spice_client_mouse *mouse);
