#include "agent/vdagent-clipboard.h"

#include <glib.h>
#include <spice/vd_agent.h>

#include "display/clipboard.h"

struct vdagent_clipboard {
    struct vdagent_proto *proto;
    struct clipboard *x;
    bool to_client, to_guest;
    size_t max_size;
    bool client_ready;
    unsigned guest_formats[CLIPBOARD_N_SELECTIONS]; /* what the desktop offers now */
    bool grab_sent[CLIPBOARD_N_SELECTIONS];
    uint32_t wanted_type[CLIPBOARD_N_SELECTIONS];   /* client request in flight */
    bool client_owns[CLIPBOARD_N_SELECTIONS];
    bool warned_to_client, warned_to_guest;
};

static const char *const sel_names[] = {"CLIPBOARD", "PRIMARY"};

static int format_of_type(uint32_t type)
{
    switch (type) {
    case VD_AGENT_CLIPBOARD_UTF8_TEXT:
        return CLIPBOARD_FMT_TEXT;
    case VD_AGENT_CLIPBOARD_IMAGE_PNG:
        return CLIPBOARD_FMT_PNG;
    default:
        return -1;
    }
}

static uint32_t type_of_format(int format)
{
    return format == CLIPBOARD_FMT_PNG ? VD_AGENT_CLIPBOARD_IMAGE_PNG
                                       : VD_AGENT_CLIPBOARD_UTF8_TEXT;
}

static void refuse_client(struct vdagent_clipboard *vc, int sel)
{
    vdagent_proto_send_clipboard(vc->proto, sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
}

static size_t limit_to_client(struct vdagent_clipboard *vc)
{
    int32_t peer = vdagent_proto_peer_max_clipboard(vc->proto);
    return peer > 0 ? MIN(vc->max_size, (size_t)peer) : vc->max_size;
}

/* --- guest → client --- */

static void send_grab(struct vdagent_clipboard *vc, int sel)
{
    uint32_t types[CLIPBOARD_N_FORMATS];
    int n = 0;
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        if (vc->guest_formats[sel] & (1u << f))
            types[n++] = type_of_format(f);
    vdagent_proto_send_clipboard_grab(vc->proto, sel, types, n);
    vc->grab_sent[sel] = true;
}

static void on_x_grabbed(int sel, unsigned formats, void *data)
{
    struct vdagent_clipboard *vc = data;
    vc->guest_formats[sel] = formats;
    vc->client_owns[sel] = false;
    if (!vc->to_client) {
        if (!vc->warned_to_client)
            g_message("clipboard: not offering the guest's clipboard to the client (policy)");
        vc->warned_to_client = true;
        return;
    }
    if (vc->client_ready)
        send_grab(vc, sel);
}

static void on_x_released(int sel, void *data)
{
    struct vdagent_clipboard *vc = data;
    vc->guest_formats[sel] = 0;
    if (vc->grab_sent[sel] && vc->client_ready)
        vdagent_proto_send_clipboard_release(vc->proto, sel);
    vc->grab_sent[sel] = false;
}

static void on_x_data(int sel, int format, const uint8_t *bytes, size_t len, void *data)
{
    struct vdagent_clipboard *vc = data;
    uint32_t type = vc->wanted_type[sel];
    vc->wanted_type[sel] = 0;
    if (!type || !vc->client_ready)
        return;
    size_t limit = limit_to_client(vc);
    if (!bytes && len == 0) {
        g_message("clipboard: the guest could not provide its %s selection", sel_names[sel]);
        refuse_client(vc, sel);
    } else if (len > limit) {
        g_message("clipboard: refused %zu bytes of %s to the client: larger than the limit of %zu bytes", len, sel_names[sel], limit);
        refuse_client(vc, sel);
    } else {
        vdagent_proto_send_clipboard(vc->proto, sel, type, bytes, len);
    }
}

void vdagent_clipboard_client_request(struct vdagent_clipboard *vc, int sel, uint32_t type)
{
    int f = format_of_type(type);
    if (!vc->to_client || f < 0 || !(vc->guest_formats[sel] & (1u << f)) ||
        vc->wanted_type[sel]) {
        g_message("clipboard: refused the client's request for %s (type %u)", sel_names[sel],
                  type);
        refuse_client(vc, sel);
        return;
    }
    vc->wanted_type[sel] = type;
    clipboard_request(vc->x, sel, f);
}

/* --- client → guest --- */

static void on_x_request(int sel, int format, void *data)
{
    struct vdagent_clipboard *vc = data;
    if (!vc->client_owns[sel] || !vc->client_ready) {
        clipboard_provide(vc->x, sel, format, NULL, 0);
        return;
    }
    vdagent_proto_send_clipboard_request(vc->proto, sel, type_of_format(format));
}

void vdagent_clipboard_client_grab(struct vdagent_clipboard *vc, int sel, const uint32_t *types,
                                   int n)
{
    if (!vc->to_guest) {
        if (!vc->warned_to_guest)
            g_message("clipboard: not taking the client's clipboard into the guest (policy)");
        vc->warned_to_guest = true;
        return;
    }
    unsigned formats = 0;
    for (int i = 0; i < n; i++) {
        int f = format_of_type(types[i]);
        if (f >= 0)
            formats |= 1u << f;
    }
    vc->guest_formats[sel] = 0;
    vc->grab_sent[sel] = false;
    if (!formats) {
        clipboard_disown(vc->x, sel);
        vc->client_owns[sel] = false;
        return;
    }
    vc->client_owns[sel] = true;
    clipboard_own(vc->x, sel, formats);
}

void vdagent_clipboard_client_data(struct vdagent_clipboard *vc, int sel, uint32_t type,
                                   const uint8_t *data, size_t len)
{
    int f = format_of_type(type);
    if (f < 0) { /* NONE: the client refused */
        for (int k = 0; k < CLIPBOARD_N_FORMATS; k++)
            clipboard_provide(vc->x, sel, k, NULL, 0);
        return;
    }
    if (len > vc->max_size) {
        g_message("clipboard: refused %zu bytes of %s from the client: larger than the limit of %zu bytes", len, sel_names[sel], vc->max_size);
        data = NULL;
    }
    clipboard_provide(vc->x, sel, f, data, len);
}

void vdagent_clipboard_client_release(struct vdagent_clipboard *vc, int sel)
{
    if (!vc->client_owns[sel])
        return;
    vc->client_owns[sel] = false;
    clipboard_disown(vc->x, sel);
}

void vdagent_clipboard_client_data_dropped(struct vdagent_clipboard *vc)
{
    g_message("clipboard: the client sent more than the clipboard size limit; refused");
    for (int sel = 0; sel < CLIPBOARD_N_SELECTIONS; sel++)
        for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
            clipboard_provide(vc->x, sel, f, NULL, 0);
}

void vdagent_clipboard_client_ready(struct vdagent_clipboard *vc)
{
    vc->client_ready = true;
    for (int sel = 0; sel < CLIPBOARD_N_SELECTIONS; sel++)
        if (vc->to_client && vc->guest_formats[sel] && !vc->client_owns[sel])
            send_grab(vc, sel);
}

void vdagent_clipboard_client_gone(struct vdagent_clipboard *vc)
{
    vc->client_ready = false;
    for (int sel = 0; sel < CLIPBOARD_N_SELECTIONS; sel++) {
        vc->grab_sent[sel] = false;
        vc->wanted_type[sel] = 0;
        vdagent_clipboard_client_release(vc, sel);
    }
}

struct vdagent_clipboard *
vdagent_clipboard_create(struct vdagent_proto *proto, const char *backend, const char *display,
                         const struct clipboard_remote_desktop *remote_desktop, int policy,
                         size_t max_size, char **ret_error)
{
    struct vdagent_clipboard *vc = g_new0(struct vdagent_clipboard, 1);
    vc->proto = proto;
    vc->max_size = max_size;
    vc->to_client = policy == CLIPBOARD_POLICY_BOTH || policy == CLIPBOARD_POLICY_TO_CLIENT;
    vc->to_guest = policy == CLIPBOARD_POLICY_BOTH || policy == CLIPBOARD_POLICY_TO_GUEST;
    struct clipboard_listener l = {
        .grabbed = on_x_grabbed,
        .released = on_x_released,
        .data = on_x_data,
        .request = on_x_request,
        .user_data = vc,
    };
    struct clipboard_config cc = {.backend = backend,
                                  .display = display,
                                  .max_size = max_size,
                                  .remote_desktop = remote_desktop};
    vc->x = clipboard_create(&cc, &l, ret_error);
    if (!vc->x) {
        g_free(vc);
        return NULL;
    }
    return vc;
}

void vdagent_clipboard_destroy(struct vdagent_clipboard *vc)
{
    if (!vc)
        return;
    clipboard_destroy(vc->x);
    g_free(vc);
}
