/* vdagent: the in-process SPICE agent channel. A SpiceCharDeviceInstance of
 * subtype "vdagent" that connects spice-server's agent byte stream to the
 * protocol core (vdagent-proto). While it is registered, spice-server tells
 * clients "agent connected" and clients send monitors configs, clipboard and
 * file transfers. Everything runs on the main loop. */
#pragma once

#include <spice.h>

#include "agent/vdagent-proto.h"

struct vdagent;

/* Registers the device with @server; @handlers go to the protocol core.
 * Returns NULL on failure. */
struct vdagent *vdagent_create(SpiceServer *server, const struct vdagent_proto_config *config,
                               const struct vdagent_proto_handlers *handlers);
void vdagent_destroy(struct vdagent *va);

/* The protocol core, to send messages to the client. */
struct vdagent_proto *vdagent_get_proto(struct vdagent *va);
