/* usb-attach-priv: the ops table every attach backend implements. */
#pragma once

#include "usb/usb-attach.h"

struct usb_attach_ops {
    const char *name;
    void *(*create)(const struct usb_attach_config *config);
    void (*destroy)(void *priv);
    int (*plug)(void *priv, const struct usb_device_desc *dev, int *ret_fd, char **ret_where,
                char **ret_error);
    void (*unplug)(void *priv);
};

extern const struct usb_attach_ops usb_attach_fake_ops;
extern const struct usb_attach_ops usb_attach_vhci_ops;
