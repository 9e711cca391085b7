/* usb-link: moves bytes between a stream socket and a sans-I/O endpoint on
 * the GLib main loop (non-blocking, buffered writes). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct usb_link;

struct usb_link_events {
    /* Bytes arrived. Must not destroy the link. */
    void (*input)(const uint8_t *data, size_t len, void *user_data);
    /* The peer closed or the socket failed; called once. May destroy the link. */
    void (*closed)(void *user_data);
};

/* Takes ownership of @fd (made non-blocking). */
struct usb_link *usb_link_create(int fd, const struct usb_link_events *events, void *user_data);
/* Closes the socket. */
void usb_link_destroy(struct usb_link *link);

/* Queues @len bytes for the peer. */
void usb_link_send(struct usb_link *link, const uint8_t *data, size_t len);
