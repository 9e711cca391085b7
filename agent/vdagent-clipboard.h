/* vdagent-clipboard: clipboard sharing between the SPICE client (agent
 * channel messages) and the desktop (display/clipboard: X11, wlroots or
 * GNOME), under the configured policy and size cap. A refused transfer is told to the client
 * (an empty VD_AGENT_CLIPBOARD reply) and logged once. Main loop only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agent/vdagent-proto.h"
#include "display/clipboard.h"

enum clipboard_policy {
    CLIPBOARD_POLICY_BOTH,
    CLIPBOARD_POLICY_TO_CLIENT, /* guest → client only */
    CLIPBOARD_POLICY_TO_GUEST,  /* client → guest only */
    CLIPBOARD_POLICY_OFF,
};

struct vdagent_clipboard;

/* @backend is the desktop's clipboard backend ("x11", "wlr" or "mutter"),
 * @display its X or Wayland display (NULL: environment), @remote_desktop the
 * GNOME session for mutter (else NULL). Returns NULL and sets
 * *ret_error when that clipboard is unavailable. @proto must outlive the
 * result. */
struct vdagent_clipboard *
vdagent_clipboard_create(struct vdagent_proto *proto, const char *backend, const char *display,
                         const struct clipboard_remote_desktop *remote_desktop, int policy,
                         size_t max_size, char **ret_error);
void vdagent_clipboard_destroy(struct vdagent_clipboard *vc);

/* Messages from the client, as the protocol core delivers them. */
void vdagent_clipboard_client_grab(struct vdagent_clipboard *vc, int sel, const uint32_t *types,
                                   int n);
void vdagent_clipboard_client_request(struct vdagent_clipboard *vc, int sel, uint32_t type);
void vdagent_clipboard_client_data(struct vdagent_clipboard *vc, int sel, uint32_t type,
                                   const uint8_t *data, size_t len);
void vdagent_clipboard_client_release(struct vdagent_clipboard *vc, int sel);
/* The client announced its capabilities: offer what the guest holds. */
void vdagent_clipboard_client_ready(struct vdagent_clipboard *vc);
/* The client went away: give up what we held for it. */
void vdagent_clipboard_client_gone(struct vdagent_clipboard *vc);
/* A clipboard message from the client was too large and dropped. */
void vdagent_clipboard_client_data_dropped(struct vdagent_clipboard *vc);
