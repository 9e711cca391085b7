#include "agent/spice-client-mouse.h"

#include <glib.h>
#include <stdbool.h>

#include "agent/qxl-identity.h"

#define PROBE_SIZE 16 /* pixels a side of the short-lived primary surface */

struct spice_client_mouse {
    QXLInstance qxl;
    bool added;
};

/* --- QXLInterface of an instance with no commands, worker thread --- */

static void iface_attached_worker(QXLInstance *qin)
{
    qxl_identity_add_memslot(qin);
}

static void iface_set_compression_level(QXLInstance *qin, int level)
{
}

static void iface_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    qxl_identity_init_info(info);
}

static int iface_get_command(QXLInstance *qin, QXLCommandExt *ext)
{
    return 0;
}

static int iface_req_notification(QXLInstance *qin)
{
    return 1;
}

static void iface_release_resource(QXLInstance *qin, QXLReleaseInfoExt info)
{
}

static void iface_notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int iface_flush_resources(QXLInstance *qin)
{
    return 0;
}

static void iface_async_complete(QXLInstance *qin, uint64_t cookie)
{
}

static void iface_update_area_complete(QXLInstance *qin, uint32_t surface_id,
                                       struct QXLRect *updated_rects, uint32_t num_updated_rects)
{
}

static void iface_set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                          uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
}

static int iface_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *config)
{
    /* Monitor configs keep going to the agent channel. */
    return 0;
}

static const QXLInterface qxl_interface = {
    .base =
        {
            .type = SPICE_INTERFACE_QXL,
            .description = "thindesk client mouse",
            .major_version = SPICE_INTERFACE_QXL_MAJOR,
            .minor_version = SPICE_INTERFACE_QXL_MINOR,
        },
    .attached_worker = iface_attached_worker,
    .set_compression_level = iface_set_compression_level,
    .get_init_info = iface_get_init_info,
    .get_command = iface_get_command,
    .req_cmd_notification = iface_req_notification,
    .release_resource = iface_release_resource,
    .get_cursor_command = iface_get_command,
    .req_cursor_notification = iface_req_notification,
    .notify_update = iface_notify_update,
    .flush_resources = iface_flush_resources,
    .async_complete = iface_async_complete,
    .update_area_complete = iface_update_area_complete,
    .set_client_capabilities = iface_set_client_capabilities,
    .client_monitors_config = iface_client_monitors_config,
};

struct spice_client_mouse *spice_client_mouse_create(SpiceServer *server, int channel_id)
{
    struct spice_client_mouse *m = g_new0(struct spice_client_mouse, 1);
    m->qxl.base.sif = &qxl_interface.base;
    m->qxl.id = channel_id;
    if (spice_server_add_interface(server, &m->qxl.base) != 0) {
        g_warning("spice-server refused the client mouse's QXL interface");
        g_free(m);
        return NULL;
    }
    m->added = true;
    /* Creating and destroying a primary surface makes spice-server ask its
     * QXL instances again; with no primary left it allows client mouse mode
     * (the agent channel then carries the positions). Synchronous calls: the
     * surface is gone before this returns, and before any client connects. */
    g_autofree uint8_t *mem = g_malloc0(PROBE_SIZE * PROBE_SIZE * 4);
    QXLDevSurfaceCreate surface = {
        .width = PROBE_SIZE,
        .height = PROBE_SIZE,
        .stride = PROBE_SIZE * 4,
        .format = SPICE_SURFACE_FMT_32_xRGB,
        .mouse_mode = 1,
        .mem = (uintptr_t)mem,
        .group_id = 0,
    };
    spice_qxl_create_primary_surface(&m->qxl, 0, &surface);
    spice_qxl_destroy_primary_surface(&m->qxl, 0);
    return m;
}

void spice_client_mouse_destroy(struct spice_client_mouse *m)
{
    if (!m)
        return;
    if (m->added)
        spice_server_remove_interface(&m->qxl.base);
    g_free(m);
}
