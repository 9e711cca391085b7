#include "usb/usb-channel.h"

#include <glib.h>
#include <unistd.h>

#include "usb/usb-bridge.h"
#include "usb/usb-link.h"

struct usb_channel {
    int index;
    const struct usb_policy *policy;
    struct usb_attach_config attach_cfg;
    struct usb_channel_events events;
    void *user_data;
    struct usb_attach *attach;
    struct usb_bridge *bridge;
    struct usb_link *link;
    struct usb_device_desc dev;
    guint output_idle, detach_idle;
    char *status;
};

static void set_status(struct usb_channel *c, char *status)
{
    g_free(c->status);
    c->status = status;
}

static void detach(struct usb_channel *c, const char *why)
{
    if (!c->link)
        return;
    usb_link_destroy(c->link);
    c->link = NULL;
    usb_attach_unplug(c->attach);
    g_message("usb channel %d: device %04x:%04x detached (%s)", c->index, c->dev.vendor_id,
              c->dev.product_id, why);
    set_status(c, g_strdup(c->bridge ? "open" : "idle"));
}

static gboolean on_output_idle(gpointer data)
{
    struct usb_channel *c = data;
    c->output_idle = 0;
    if (c->events.output)
        c->events.output(c->user_data);
    return G_SOURCE_REMOVE;
}

static void on_redir_output(void *data)
{
    struct usb_channel *c = data;
    if (!c->output_idle)
        c->output_idle = g_idle_add(on_output_idle, c);
}

static void on_usbip_output(void *data)
{
    struct usb_channel *c = data;
    uint8_t buf[65536];
    size_t n;
    while ((n = usb_bridge_usbip_take(c->bridge, buf, sizeof(buf))) > 0)
        if (c->link)
            usb_link_send(c->link, buf, n);
}

static gboolean on_detach_idle(gpointer data)
{
    struct usb_channel *c = data;
    c->detach_idle = 0;
    if (c->bridge)
        usb_bridge_usbip_reset(c->bridge);
    detach(c, "the kernel side closed or sent a malformed request");
    return G_SOURCE_REMOVE;
}

static void schedule_detach(struct usb_channel *c)
{
    if (!c->detach_idle)
        c->detach_idle = g_idle_add(on_detach_idle, c);
}

static void on_link_input(const uint8_t *data, size_t len, void *user_data)
{
    struct usb_channel *c = user_data;
    if (usb_bridge_usbip_input(c->bridge, data, len) < 0)
        schedule_detach(c);
}

static void on_link_closed(void *user_data)
{
    schedule_detach(user_data);
}

static void on_device_ready(const struct usb_device_desc *dev, void *data)
{
    struct usb_channel *c = data;
    c->dev = *dev;
    int fd = -1;
    g_autofree char *where = NULL, *error = NULL;
    if (usb_attach_plug(c->attach, dev, &fd, &where, &error) < 0) {
        g_warning("usb channel %d: cannot attach device %04x:%04x, refusing it: %s", c->index,
                  dev->vendor_id, dev->product_id, error);
        usb_bridge_refuse_device(c->bridge);
        return;
    }
    static const struct usb_link_events lev = {.input = on_link_input,
                                               .closed = on_link_closed};
    c->link = usb_link_create(fd, &lev, c);
    g_message("usb channel %d: device %04x:%04x (class %02x, first interface %02x/%02x/%02x, speed %u) attached to %s",
              c->index, dev->vendor_id, dev->product_id, dev->device_class,
              dev->interface_class[0], dev->interface_subclass[0], dev->interface_protocol[0],
              dev->speed, where);
    set_status(c, g_strdup_printf("%04x:%04x on %s", dev->vendor_id, dev->product_id, where));
}

static void on_device_gone(void *data)
{
    detach(data, "the client unplugged it");
}

static void on_device_rejected(const struct usb_device_desc *dev, void *data)
{
    struct usb_channel *c = data;
    g_message("usb channel %d: device %04x:%04x (class %02x, first interface %02x/%02x/%02x) refused by the USB policy",
              c->index, dev->vendor_id, dev->product_id, dev->device_class,
              dev->interface_class[0], dev->interface_subclass[0], dev->interface_protocol[0]);
}

struct usb_channel *usb_channel_create(const struct usb_channel_config *config,
                                       const struct usb_channel_events *events, void *user_data,
                                       char **ret_error)
{
    struct usb_channel *c = g_new0(struct usb_channel, 1);
    c->index = config->index;
    c->policy = config->policy;
    c->attach_cfg = *config->attach;
    c->attach_cfg.channel = config->index;
    c->events = *events;
    c->user_data = user_data;
    c->attach = usb_attach_create(&c->attach_cfg, ret_error);
    if (!c->attach) {
        g_free(c);
        return NULL;
    }
    c->status = g_strdup("idle");
    return c;
}

void usb_channel_destroy(struct usb_channel *c)
{
    if (!c)
        return;
    usb_channel_close(c);
    if (c->output_idle)
        g_source_remove(c->output_idle);
    usb_attach_destroy(c->attach);
    g_free(c->status);
    g_free(c);
}

void usb_channel_open(struct usb_channel *c)
{
    usb_channel_close(c);
    static const struct usb_bridge_events bev = {
        .redir_output = on_redir_output,
        .usbip_output = on_usbip_output,
        .device_ready = on_device_ready,
        .device_gone = on_device_gone,
        .device_rejected = on_device_rejected,
    };
    c->bridge = usb_bridge_create(c->policy, &bev, c);
    set_status(c, g_strdup("open"));
    on_redir_output(c); /* the hello */
}

void usb_channel_close(struct usb_channel *c)
{
    if (c->detach_idle) {
        g_source_remove(c->detach_idle);
        c->detach_idle = 0;
    }
    struct usb_bridge *b = c->bridge;
    c->bridge = NULL;
    detach(c, "the client closed the channel");
    usb_bridge_destroy(b);
    set_status(c, g_strdup("idle"));
}

void usb_channel_write(struct usb_channel *c, const uint8_t *data, size_t len)
{
    if (c->bridge)
        usb_bridge_redir_input(c->bridge, data, len);
}

size_t usb_channel_read(struct usb_channel *c, uint8_t *buf, size_t max)
{
    return c->bridge ? usb_bridge_redir_take(c->bridge, buf, max) : 0;
}

const char *usb_channel_status(const struct usb_channel *c)
{
    return c->status;
}
