#include "agent/vdagent.h"

#include <glib.h>

struct vdagent {
    SpiceCharDeviceInstance sin;
    struct vdagent_proto *proto;
    guint wakeup_source;
    bool registered;
};

static struct vdagent *from_sin(SpiceCharDeviceInstance *sin)
{
    return SPICE_CONTAINEROF(sin, struct vdagent, sin);
}

static void dev_state(SpiceCharDeviceInstance *sin, int connected)
{
    g_debug("agent channel: device %s", connected ? "attached" : "detached");
}

/* spice-server hands us what the client (port 1) or the server (port 2) sent. */
static int dev_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    if (len <= 0)
        return 0;
    vdagent_proto_feed(from_sin(sin)->proto, buf, (size_t)len);
    return len;
}

/* spice-server pulls what we queued for the client. */
static int dev_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    if (len <= 0)
        return 0;
    return (int)vdagent_proto_read(from_sin(sin)->proto, buf, (size_t)len);
}

static SpiceCharDeviceInterface vdagent_interface = {
    .base =
        {
            .type = SPICE_INTERFACE_CHAR_DEVICE,
            .description = "thindesk agent channel",
            .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
            .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
        },
    .state = dev_state,
    .write = dev_write,
    .read = dev_read,
};

/* Wakeups are deferred: output is often queued from inside dev_write, and
 * spice-server should not be re-entered from its own callback. */
static gboolean on_wakeup(gpointer data)
{
    struct vdagent *va = data;
    va->wakeup_source = 0;
    spice_server_char_device_wakeup(&va->sin);
    return G_SOURCE_REMOVE;
}

static void on_output_ready(void *data)
{
    struct vdagent *va = data;
    if (va->registered && !va->wakeup_source)
        va->wakeup_source = g_idle_add(on_wakeup, va);
}

struct vdagent *vdagent_create(SpiceServer *server, const struct vdagent_proto_config *config,
                               const struct vdagent_proto_handlers *handlers)
{
    struct vdagent *va = g_new0(struct vdagent, 1);
    va->proto = vdagent_proto_create(config, handlers);
    vdagent_proto_set_output_notify(va->proto, on_output_ready, va);
    va->sin.base.sif = &vdagent_interface.base;
    va->sin.subtype = "vdagent";
    if (spice_server_add_interface(server, &va->sin.base) != 0) {
        g_warning("spice-server refused the agent channel device");
        vdagent_proto_destroy(va->proto);
        g_free(va);
        return NULL;
    }
    va->registered = true;
    return va;
}

void vdagent_destroy(struct vdagent *va)
{
    if (!va)
        return;
    if (va->registered)
        spice_server_remove_interface(&va->sin.base);
    if (va->wakeup_source)
        g_source_remove(va->wakeup_source);
    vdagent_proto_destroy(va->proto);
    g_free(va);
}

struct vdagent_proto *vdagent_get_proto(struct vdagent *va)
{
    return va->proto;
}
