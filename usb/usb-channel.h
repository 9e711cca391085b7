/* usb-channel: one redirected-device slot (one spice usbredir channel).
 *
 * Owns the bridge while a client has the channel open, attaches an allowed
 * device through usb-attach and pumps USB/IP between the bridge and the
 * kernel's socket. Logs one line per device event. Main loop only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "usb/usb-attach.h"
#include "usb/usb-policy.h"

struct usb_channel;

struct usb_channel_config {
    int index;
    const struct usb_policy *policy;         /* borrowed; NULL allows everything */
    const struct usb_attach_config *attach;  /* copied; .channel is set from index */
};

struct usb_channel_events {
    /* usbredir bytes for the client are waiting (usb_channel_read). Called
     * from the main loop, never from inside usb_channel_write. */
    void (*output)(void *user_data);
};

/* Returns NULL and sets *ret_error for a bad attach backend. */
struct usb_channel *usb_channel_create(const struct usb_channel_config *config,
                                       const struct usb_channel_events *events, void *user_data,
                                       char **ret_error);
void usb_channel_destroy(struct usb_channel *channel);

/* A client opened the channel: start a usbredir session (sends hello). */
void usb_channel_open(struct usb_channel *channel);
/* The client closed it: detach the device, end the session. */
void usb_channel_close(struct usb_channel *channel);

/* Client bytes; all are accepted. */
void usb_channel_write(struct usb_channel *channel, const uint8_t *data, size_t len);
/* Up to @max bytes for the client; returns how many. */
size_t usb_channel_read(struct usb_channel *channel, uint8_t *buf, size_t max);

/* "idle", "open", or "VID:PID on WHERE"; owned by the channel. */
const char *usb_channel_status(const struct usb_channel *channel);
