/* spice-usb: the usbredir char devices of spice-server, one per channel,
 * each wired to a usb/ channel (usbredir guest side → USB/IP → kernel).
 * Main thread only. */
#pragma once

#include <spice.h>
#include <stdbool.h>

#include "agent/options.h"

struct spice_usb;

/* Registers opts->usb_channels "usbredir" char devices with @server.
 * Returns NULL and sets *ret_error (bad policy or backend). With zero
 * channels it returns an object that does nothing. */
struct spice_usb *spice_usb_create(SpiceServer *server, const struct agent_options *opts,
                                   char **ret_error);
/* Call after spice_server_destroy(): spice-server keeps a connected client's
 * usbredir devices (removing the interfaces does not detach them) and calls
 * their state() while it disconnects the client. */
void spice_usb_destroy(struct spice_usb *usb);

/* Lets clients redirect devices (the default) or not: while refused, what a
 * client sends is dropped and devices redirected before are detached (the
 * system service refuses USB on the login and lock screens). */
void spice_usb_set_allowed(struct spice_usb *usb, bool allowed);
