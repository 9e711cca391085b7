/* usb-bridge: the usb-guest side of usbredir, bridged per URB to USB/IP.
 *
 * Sans I/O: bytes from the client (usbredir) and from the kernel side
 * (USB/IP) are pushed in; bytes for either are taken out after the matching
 * output event. It plays the role of QEMU's usb-redir device: one usbredir
 * packet per URB, exactly one completion per URB, UNLINK cancels and drops
 * the late reply, interrupt IN through interrupt receiving and a queue.
 * Main loop only; events may fire from inside any input call. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "usb/usb-device.h"
#include "usb/usb-policy.h"

struct usb_bridge;

struct usb_bridge_events {
    /* usbredir bytes for the client are waiting (usb_bridge_redir_take). */
    void (*redir_output)(void *user_data);
    /* USB/IP bytes for the kernel side are waiting (usb_bridge_usbip_take). */
    void (*usbip_output)(void *user_data);
    /* The client connected a device the policy allows: attach the kernel side. */
    void (*device_ready)(const struct usb_device_desc *dev, void *user_data);
    /* The device went away (every URB got its completion): detach. */
    void (*device_gone)(void *user_data);
    /* The policy refused a device; the client was sent filter_reject. */
    void (*device_rejected)(const struct usb_device_desc *dev, void *user_data);
};

/* @policy is borrowed and must outlive the bridge; NULL allows everything.
 * Queues the usbredir hello. */
struct usb_bridge *usb_bridge_create(const struct usb_policy *policy,
                                     const struct usb_bridge_events *events, void *user_data);
void usb_bridge_destroy(struct usb_bridge *bridge);

/* Bytes from the client; all are consumed (the parser keeps partial packets). */
void usb_bridge_redir_input(struct usb_bridge *bridge, const uint8_t *data, size_t len);
/* Moves up to @max pending client bytes to @buf; returns how many. */
size_t usb_bridge_redir_take(struct usb_bridge *bridge, uint8_t *buf, size_t max);
size_t usb_bridge_redir_pending(const struct usb_bridge *bridge);

/* Bytes from the kernel side. Returns 0, or -EPROTO for a malformed request
 * (the caller must detach the kernel side). */
int usb_bridge_usbip_input(struct usb_bridge *bridge, const uint8_t *data, size_t len);
size_t usb_bridge_usbip_take(struct usb_bridge *bridge, uint8_t *buf, size_t max);
size_t usb_bridge_usbip_pending(const struct usb_bridge *bridge);

/* The kernel side is gone: cancel what is in flight and forget it. */
void usb_bridge_usbip_reset(struct usb_bridge *bridge);

/* Call from device_ready when the device cannot be attached: the client is
 * sent filter_reject (spice-gtk then releases the device) and requests for it
 * are answered -ENODEV. */
void usb_bridge_refuse_device(struct usb_bridge *bridge);

/* Number of URBs waiting for the client (for tests and status). */
unsigned usb_bridge_inflight(const struct usb_bridge *bridge);
