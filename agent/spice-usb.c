#include "agent/spice-usb.h"

#include <glib.h>
#include <stddef.h>

#include "usb/usb-channel.h"
#include "usb/usb-policy.h"

struct usb_slot {
    SpiceCharDeviceInstance sin; /* first: the callbacks get &sin */
    struct spice_usb *owner;
    struct usb_channel *channel;
    bool added; /* registered with spice-server */
    bool open;  /* a client's channel is open (spice-server's state) */
};

struct spice_usb {
    bool refused; /* spice_usb_set_allowed(false) */
    struct usb_policy *policy;
    int n;
    struct usb_slot *slots;
};

static struct usb_slot *slot_of(SpiceCharDeviceInstance *sin)
{
    return (struct usb_slot *)((char *)sin - offsetof(struct usb_slot, sin));
}

static void usb_state(SpiceCharDeviceInstance *sin, int connected)
{
    struct usb_slot *s = slot_of(sin);
    s->open = connected;
    if (connected && !s->owner->refused)
        usb_channel_open(s->channel);
    else
        usb_channel_close(s->channel);
}

static int usb_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    struct usb_slot *s = slot_of(sin);
    if (len <= 0)
        return 0;
    if (s->owner->refused)
        return len; /* swallowed: nothing reaches the kernel side */
    usb_channel_write(s->channel, buf, (size_t)len);
    return len;
}

static int usb_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    struct usb_slot *s = slot_of(sin);
    if (len <= 0 || s->owner->refused)
        return 0;
    return (int)usb_channel_read(s->channel, buf, (size_t)len);
}

static SpiceCharDeviceInterface usb_sif = {
    .base =
        {
            .type = SPICE_INTERFACE_CHAR_DEVICE,
            .description = "thindesk usbredir",
            .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
            .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
        },
    .state = usb_state,
    .write = usb_write,
    .read = usb_read,
};

static void on_channel_output(void *data)
{
    struct usb_slot *s = data;
    spice_server_char_device_wakeup(&s->sin);
}

struct spice_usb *spice_usb_create(SpiceServer *server, const struct agent_options *opts,
                                   char **ret_error)
{
    struct spice_usb *u = g_new0(struct spice_usb, 1);
    u->policy = usb_policy_create(opts->usb_policy, ret_error);
    if (!u->policy)
        goto err;
    u->n = opts->usb_channels;
    u->slots = g_new0(struct usb_slot, u->n);
    struct usb_attach_config ac = {.backend = opts->usb_attach,
                                   .helper_socket = opts->usb_helper_socket,
                                   .fake_dump_dir = opts->usb_fake_dump};
    for (int i = 0; i < u->n; i++) {
        struct usb_slot *s = &u->slots[i];
        s->owner = u;
        struct usb_channel_config cc = {.index = i, .policy = u->policy, .attach = &ac};
        static const struct usb_channel_events ev = {.output = on_channel_output};
        s->channel = usb_channel_create(&cc, &ev, s, ret_error);
        if (!s->channel)
            goto err;
        s->sin.base.sif = &usb_sif.base;
        s->sin.subtype = "usbredir";
        if (spice_server_add_interface(server, &s->sin.base) != 0) {
            *ret_error = g_strdup_printf("spice-server refused USB channel %d", i);
            goto err;
        }
        s->added = true;
    }
    if (u->n)
        g_message("USB redirection: %d channels, devices go to %s%s%s", u->n, opts->usb_attach,
                  opts->usb_policy ? ", policy " : "", opts->usb_policy ? opts->usb_policy : "");
    return u;
err:
    /* No client can have opened a channel yet: the server is not started. */
    for (int i = 0; i < u->n; i++)
        if (u->slots[i].added)
            spice_server_remove_interface(&u->slots[i].sin.base);
    spice_usb_destroy(u);
    return NULL;
}

void spice_usb_destroy(struct spice_usb *u)
{
    if (!u)
        return;
    for (int i = 0; i < u->n; i++)
        usb_channel_destroy(u->slots[i].channel);
    g_free(u->slots);
    usb_policy_destroy(u->policy);
    g_free(u);
}

void spice_usb_set_allowed(struct spice_usb *u, bool allowed)
{
    if (!u || u->refused == !allowed)
        return;
    u->refused = !allowed;
    for (int i = 0; i < u->n; i++) {
        struct usb_slot *s = &u->slots[i];
        if (!s->open)
            continue;
        /* Devices redirected so far are detached; a channel opened while
         * refused is opened now. */
        if (allowed)
            usb_channel_open(s->channel);
        else
            usb_channel_close(s->channel);
    }
}
