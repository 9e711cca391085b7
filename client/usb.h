/* usb: USB redirection through spice-gtk's UsbDeviceManager: devices that
 * match --usb-redirect when the session starts, newly plugged devices that
 * match the auto-redirect filter (usbredir filter syntax, remote-viewer's
 * usb-filter), and an ISO file shared as a USB CD-ROM (--share-cd). */
#pragma once

#include <spice-client.h>
#include <stdio.h>

#include "client/settings.h"

struct usb;

/* For a new session (each reconnect makes one). NULL when USB redirection is
 * off or not available (the reason is logged once as a warning). */
struct usb *usb_create(const struct settings *s, SpiceSession *session);
void usb_destroy(struct usb *u);

/* The session is up: redirect the devices chosen on the command line. */
void usb_session_ready(struct usb *u);

/* Prints one line per local USB device (--usb-list). 0 or -errno. */
int usb_list_devices(FILE *out, char **ret_error);
