/* usb-device: what the client told us about a redirected device. */
#pragma once

#include <stdint.h>

#define USB_DEVICE_MAX_INTERFACES 32

struct usb_device_desc {
    uint8_t speed; /* usbredir: 0 low, 1 full, 2 high, 3 super */
    uint8_t device_class, device_subclass, device_protocol;
    uint16_t vendor_id, product_id, device_version_bcd;
    int interface_count;
    uint8_t interface_class[USB_DEVICE_MAX_INTERFACES];
    uint8_t interface_subclass[USB_DEVICE_MAX_INTERFACES];
    uint8_t interface_protocol[USB_DEVICE_MAX_INTERFACES];
};
