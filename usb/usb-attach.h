/* usb-attach: hands a redirected device to the guest kernel.
 *
 * One dispatcher over backends, each an ops table in its own file:
 * "vhci" (the real kernel, through thindesk-usb-helper) and "fake" (the
 * in-tree kernel side, usb-fake-kernel, for machines without vhci_hcd).
 * A plug gives back our end of a USB/IP stream socket. Main loop only. */
#pragma once

#include <stdbool.h>

#include "usb/usb-device.h"

struct usb_attach;

struct usb_attach_config {
    const char *backend;       /* "vhci" or "fake" */
    int channel;               /* index, for names and logs */
    const char *helper_socket; /* vhci: thindesk-usb-helper's socket */
    const char *fake_dump_dir; /* fake: keep what was read from mass storage here */
};

/* Returns NULL and sets *ret_error for an unknown backend. */
struct usb_attach *usb_attach_create(const struct usb_attach_config *config, char **ret_error);
void usb_attach_destroy(struct usb_attach *attach);

bool usb_attach_backend_exists(const char *name);

/* Attaches @dev. On success returns 0, *ret_fd is our end of the USB/IP
 * socket (the caller owns it) and *ret_where (new string) says where the
 * device went. On failure returns -errno and sets *ret_error. */
int usb_attach_plug(struct usb_attach *attach, const struct usb_device_desc *dev, int *ret_fd,
                    char **ret_where, char **ret_error);
/* The device is gone (our end of the socket was closed by the caller). */
void usb_attach_unplug(struct usb_attach *attach);
