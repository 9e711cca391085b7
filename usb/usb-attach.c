#include "usb/usb-attach.h"

#include <glib.h>
#include <string.h>

#include "usb/usb-attach-priv.h"

static const struct usb_attach_ops *const backends[] = {&usb_attach_vhci_ops,
                                                        &usb_attach_fake_ops};

struct usb_attach {
    const struct usb_attach_ops *ops;
    void *priv;
};

static const struct usb_attach_ops *find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        if (name && strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

bool usb_attach_backend_exists(const char *name)
{
    return find(name) != NULL;
}

struct usb_attach *usb_attach_create(const struct usb_attach_config *config, char **ret_error)
{
    const struct usb_attach_ops *ops = find(config->backend);
    if (!ops) {
        *ret_error = g_strdup_printf("unknown USB attach backend '%s' (expected vhci or fake)",
                                     config->backend);
        return NULL;
    }
    struct usb_attach *a = g_new0(struct usb_attach, 1);
    a->ops = ops;
    a->priv = ops->create(config);
    return a;
}

void usb_attach_destroy(struct usb_attach *a)
{
    if (!a)
        return;
    a->ops->destroy(a->priv);
    g_free(a);
}

int usb_attach_plug(struct usb_attach *a, const struct usb_device_desc *dev, int *ret_fd,
                    char **ret_where, char **ret_error)
{
    return a->ops->plug(a->priv, dev, ret_fd, ret_where, ret_error);
}

void usb_attach_unplug(struct usb_attach *a)
{
    a->ops->unplug(a->priv);
}
