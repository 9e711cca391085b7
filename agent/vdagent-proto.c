#include "agent/vdagent-proto.h"

#include <glib.h>
#include <spice/vd_agent.h>
#include <string.h>

#define MSG_HEADER_SIZE 20 /* sizeof(VDAgentMessage) */
#define CHUNK_HEADER_SIZE 8
#define MAX_PEER_CAP_WORDS 8
#define LOUD_REJECTIONS 32 /* then only debug, so a hostile client cannot flood logs */

struct rx {
    uint8_t hdr[MSG_HEADER_SIZE];
    size_t hdr_len;
    uint32_t type, size, got;
    bool skipping; /* dropped: its bytes are counted, not kept */
    GByteArray *data;
};

struct out_msg {
    uint8_t *buf;
    size_t len;
};

struct vdagent_proto {
    struct vdagent_proto_config config;
    struct vdagent_proto_handlers h;
    void (*notify)(void *data);
    void *notify_data;

    uint8_t chunk_hdr[CHUNK_HEADER_SIZE];
    size_t chunk_hdr_len;
    uint32_t chunk_port, chunk_left;
    bool chunk_bad;
    struct rx rx[VDP_END_PORT]; /* indexed by port; 0 unused */

    GQueue out; /* struct out_msg */
    size_t out_off, out_total;

    uint32_t peer_caps[MAX_PEER_CAP_WORDS];
    bool peer_caps_known;
    int32_t peer_max_clipboard;
    uint32_t serial[VDAGENT_N_SELECTIONS];
    unsigned rejected;
};

static const char *const type_names[] = {
    [VD_AGENT_MOUSE_STATE] = "MOUSE_STATE",
    [VD_AGENT_MONITORS_CONFIG] = "MONITORS_CONFIG",
    [VD_AGENT_REPLY] = "REPLY",
    [VD_AGENT_CLIPBOARD] = "CLIPBOARD",
    [VD_AGENT_DISPLAY_CONFIG] = "DISPLAY_CONFIG",
    [VD_AGENT_ANNOUNCE_CAPABILITIES] = "ANNOUNCE_CAPABILITIES",
    [VD_AGENT_CLIPBOARD_GRAB] = "CLIPBOARD_GRAB",
    [VD_AGENT_CLIPBOARD_REQUEST] = "CLIPBOARD_REQUEST",
    [VD_AGENT_CLIPBOARD_RELEASE] = "CLIPBOARD_RELEASE",
    [VD_AGENT_FILE_XFER_START] = "FILE_XFER_START",
    [VD_AGENT_FILE_XFER_STATUS] = "FILE_XFER_STATUS",
    [VD_AGENT_FILE_XFER_DATA] = "FILE_XFER_DATA",
    [VD_AGENT_CLIENT_DISCONNECTED] = "CLIENT_DISCONNECTED",
    [VD_AGENT_MAX_CLIPBOARD] = "MAX_CLIPBOARD",
    [VD_AGENT_AUDIO_VOLUME_SYNC] = "AUDIO_VOLUME_SYNC",
    [VD_AGENT_GRAPHICS_DEVICE_INFO] = "GRAPHICS_DEVICE_INFO",
};

static const char *type_name(uint32_t type)
{
    return type < G_N_ELEMENTS(type_names) && type_names[type] ? type_names[type] : "unknown";
}

static uint32_t get_u32(const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return GUINT32_FROM_LE(v);
}

static uint64_t get_u64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return GUINT64_FROM_LE(v);
}

static void put_u32(uint8_t *b, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(b, &v, 4);
}

static void reject(struct vdagent_proto *p, uint32_t type, uint32_t size, const char *why)
{
    p->rejected++;
    if (p->rejected <= LOUD_REJECTIONS)
        g_warning("agent channel: dropped a %s message (type %u, %u bytes) from the client: %s",
                  type_name(type), type, size, why);
    else
        g_debug("agent channel: dropped a %s message (type %u, %u bytes): %s", type_name(type),
                type, size, why);
    if (p->h.dropped)
        p->h.dropped(type, size, p->h.user_data);
}

/* --- output --- */

uint8_t *vdagent_proto_encode(uint32_t port, uint32_t type, const void *data, size_t len,
                              size_t *ret_len)
{
    size_t total = MSG_HEADER_SIZE + len;
    size_t n_chunks = (total + VD_AGENT_MAX_DATA_SIZE - 1) / VD_AGENT_MAX_DATA_SIZE;
    uint8_t *buf = g_malloc(total + n_chunks * CHUNK_HEADER_SIZE);
    uint8_t msg_hdr[MSG_HEADER_SIZE] = {0};
    put_u32(msg_hdr, VD_AGENT_PROTOCOL);
    put_u32(msg_hdr + 4, type);
    put_u32(msg_hdr + 16, (uint32_t)len);

    size_t pos = 0, done = 0; /* done: message bytes (header + data) written */
    while (done < total) {
        size_t n = MIN(total - done, VD_AGENT_MAX_DATA_SIZE);
        put_u32(buf + pos, port);
        put_u32(buf + pos + 4, (uint32_t)n);
        pos += CHUNK_HEADER_SIZE;
        for (size_t i = 0; i < n;) {
            size_t at = done + i;
            if (at < MSG_HEADER_SIZE) {
                size_t k = MIN(MSG_HEADER_SIZE - at, n - i);
                memcpy(buf + pos + i, msg_hdr + at, k);
                i += k;
            } else {
                size_t k = n - i;
                memcpy(buf + pos + i, (const uint8_t *)data + (at - MSG_HEADER_SIZE), k);
                i += k;
            }
        }
        pos += n;
        done += n;
    }
    *ret_len = pos;
    return buf;
}

static void queue_message(struct vdagent_proto *p, uint32_t type, const void *data, size_t len)
{
    struct out_msg *m = g_new(struct out_msg, 1);
    m->buf = vdagent_proto_encode(VDP_CLIENT_PORT, type, data, len, &m->len);
    g_queue_push_tail(&p->out, m);
    p->out_total += m->len;
    g_debug("agent channel: queued %s (%zu bytes)", type_name(type), len);
    if (p->notify)
        p->notify(p->notify_data);
}

static void out_msg_free(struct out_msg *m)
{
    g_free(m->buf);
    g_free(m);
}

size_t vdagent_proto_read(struct vdagent_proto *p, uint8_t *buf, size_t len)
{
    size_t copied = 0;
    while (copied < len) {
        struct out_msg *m = g_queue_peek_head(&p->out);
        if (!m)
            break;
        size_t n = MIN(len - copied, m->len - p->out_off);
        memcpy(buf + copied, m->buf + p->out_off, n);
        copied += n;
        p->out_off += n;
        p->out_total -= n;
        if (p->out_off == m->len) {
            out_msg_free(g_queue_pop_head(&p->out));
            p->out_off = 0;
        }
    }
    return copied;
}

size_t vdagent_proto_pending(const struct vdagent_proto *p)
{
    return p->out_total;
}

/* With CLIPBOARD_SELECTION every clipboard payload starts with 4 bytes. */
static bool peer_uses_selection(const struct vdagent_proto *p)
{
    return vdagent_proto_peer_has(p, VD_AGENT_CAP_CLIPBOARD_SELECTION);
}

void vdagent_proto_send_caps(struct vdagent_proto *p, bool request)
{
    uint32_t caps[VD_AGENT_CAPS_SIZE] = {0};
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_MOUSE_STATE);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_MONITORS_CONFIG);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_REPLY);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_DISPLAY_CONFIG);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_SPARSE_MONITORS_CONFIG);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_MONITORS_CONFIG_POSITION);
    VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_GUEST_LINEEND_LF);
    if (p->config.clipboard) {
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_SELECTION);
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_MAX_CLIPBOARD);
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB);
    }
    if (p->config.audio_volume)
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_AUDIO_VOLUME_SYNC);
    if (p->config.file_xfer) {
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS);
    } else {
        VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_FILE_XFER_DISABLED);
    }

    uint8_t msg[4 + sizeof(caps)];
    put_u32(msg, request ? 1 : 0);
    for (size_t i = 0; i < G_N_ELEMENTS(caps); i++)
        put_u32(msg + 4 + 4 * i, caps[i]);
    queue_message(p, VD_AGENT_ANNOUNCE_CAPABILITIES, msg, sizeof(msg));
}

void vdagent_proto_send_reply(struct vdagent_proto *p, uint32_t type, uint32_t error)
{
    uint8_t msg[8];
    put_u32(msg, type);
    put_u32(msg + 4, error);
    queue_message(p, VD_AGENT_REPLY, msg, sizeof(msg));
}

/* Writes the selection prefix if the client expects one; returns its size,
 * or -1 when the client cannot address @selection at all. */
static int put_selection(const struct vdagent_proto *p, uint8_t *buf, int selection)
{
    if (peer_uses_selection(p)) {
        memset(buf, 0, 4);
        buf[0] = (uint8_t)selection;
        return 4;
    }
    return selection == VDAGENT_SELECTION_CLIPBOARD ? 0 : -1;
}

void vdagent_proto_send_clipboard_grab(struct vdagent_proto *p, int selection,
                                       const uint32_t *types, int n)
{
    uint8_t msg[8 + 4 * VDAGENT_PROTO_MAX_GRAB_TYPES];
    int pos = put_selection(p, msg, selection);
    if (pos < 0 || n > VDAGENT_PROTO_MAX_GRAB_TYPES)
        return;
    if (vdagent_proto_peer_has(p, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)) {
        put_u32(msg + pos, p->serial[selection]++);
        pos += 4;
    }
    for (int i = 0; i < n; i++, pos += 4)
        put_u32(msg + pos, types[i]);
    queue_message(p, VD_AGENT_CLIPBOARD_GRAB, msg, pos);
}

void vdagent_proto_send_clipboard_request(struct vdagent_proto *p, int selection, uint32_t type)
{
    uint8_t msg[8];
    int pos = put_selection(p, msg, selection);
    if (pos < 0)
        return;
    put_u32(msg + pos, type);
    queue_message(p, VD_AGENT_CLIPBOARD_REQUEST, msg, pos + 4);
}

void vdagent_proto_send_clipboard(struct vdagent_proto *p, int selection, uint32_t type,
                                  const uint8_t *data, size_t len)
{
    uint8_t head[8];
    int pos = put_selection(p, head, selection);
    if (pos < 0)
        return;
    put_u32(head + pos, type);
    pos += 4;
    g_autofree uint8_t *msg = g_malloc(pos + len);
    memcpy(msg, head, pos);
    if (len)
        memcpy(msg + pos, data, len);
    queue_message(p, VD_AGENT_CLIPBOARD, msg, pos + len);
}

void vdagent_proto_send_clipboard_release(struct vdagent_proto *p, int selection)
{
    uint8_t msg[4];
    int pos = put_selection(p, msg, selection);
    if (pos < 0)
        return;
    queue_message(p, VD_AGENT_CLIPBOARD_RELEASE, msg, pos);
}

void vdagent_proto_send_file_xfer_status(struct vdagent_proto *p, uint32_t id, uint32_t result,
                                         const void *detail, size_t detail_len)
{
    if (!vdagent_proto_peer_has(p, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS))
        detail_len = 0;
    g_autofree uint8_t *msg = g_malloc(8 + detail_len);
    put_u32(msg, id);
    put_u32(msg + 4, result);
    if (detail_len)
        memcpy(msg + 8, detail, detail_len);
    queue_message(p, VD_AGENT_FILE_XFER_STATUS, msg, 8 + detail_len);
}

/* --- input: one message of each type --- */

/* Reads the optional selection prefix; false if the message is too short.
 * *ret_selection is -1 for a selection we do not serve (SECONDARY). */
static bool take_selection(struct vdagent_proto *p, const uint8_t **data, uint32_t *size,
                           int *ret_selection)
{
    *ret_selection = VDAGENT_SELECTION_CLIPBOARD;
    if (!peer_uses_selection(p))
        return true;
    if (*size < 4)
        return false;
    *ret_selection = (*data)[0] < VDAGENT_N_SELECTIONS ? (*data)[0] : -1;
    *data += 4;
    *size -= 4;
    return true;
}

static void on_monitors_config(struct vdagent_proto *p, const uint8_t *d, uint32_t size)
{
    const char *why = NULL;
    uint32_t n = size >= 8 ? get_u32(d) : 0, flags = size >= 8 ? get_u32(d + 4) : 0;
    uint64_t need = 8 + (uint64_t)n * (20 + ((flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE)
                                                 ? 4 : 0));
    struct vdagent_monitor mons[VDAGENT_PROTO_MAX_MONITORS] = {{0}};
    int enabled = 0;
    if (size < 8)
        why = "shorter than its header";
    else if (n == 0 || n > VDAGENT_PROTO_MAX_MONITORS)
        why = "monitor count out of range";
    else if (size < need)
        why = "shorter than its monitor count says";
    for (uint32_t i = 0; !why && i < n; i++) {
        const uint8_t *m = d + 8 + 20 * i;
        uint32_t h = get_u32(m), w = get_u32(m + 4);
        int32_t x = (int32_t)get_u32(m + 12), y = (int32_t)get_u32(m + 16);
        if (w == 0 || h == 0)
            continue; /* a hole in a sparse config */
        if (w > 16384 || h > 16384)
            why = "monitor larger than 16384 pixels";
        else if ((flags & VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS) &&
                 (x < -16384 || x > 16384 || y < -16384 || y > 16384))
            why = "monitor position out of range";
        mons[i].enabled = true;
        mons[i].width = (int)w;
        mons[i].height = (int)h;
        if (flags & VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS) {
            mons[i].x = x;
            mons[i].y = y;
        }
        enabled++;
    }
    if (!why && enabled == 0)
        why = "no monitor enabled";
    if (why) {
        reject(p, VD_AGENT_MONITORS_CONFIG, size, why);
        vdagent_proto_send_reply(p, VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
        return;
    }
    if (p->h.monitors_config)
        p->h.monitors_config(mons, (int)n, p->h.user_data);
    else
        vdagent_proto_send_reply(p, VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS);
}

static void on_caps(struct vdagent_proto *p, const uint8_t *d, uint32_t size)
{
    if (size < 4) {
        reject(p, VD_AGENT_ANNOUNCE_CAPABILITIES, size, "shorter than its header");
        return;
    }
    uint32_t request = get_u32(d);
    memset(p->peer_caps, 0, sizeof(p->peer_caps));
    uint32_t words = MIN((size - 4) / 4, MAX_PEER_CAP_WORDS);
    for (uint32_t i = 0; i < words; i++)
        p->peer_caps[i] = get_u32(d + 4 + 4 * i);
    p->peer_caps_known = true;
    g_debug("agent channel: client capabilities %08x (request %u)", p->peer_caps[0], request);
    if (request)
        vdagent_proto_send_caps(p, false);
    if (p->h.caps_received)
        p->h.caps_received(p->h.user_data);
}

static void on_clipboard_message(struct vdagent_proto *p, uint32_t type, const uint8_t *d,
                                 uint32_t size)
{
    int sel;
    uint32_t full = size;
    if (!p->config.clipboard) {
        reject(p, type, full, "clipboard is disabled");
        return;
    }
    if (!take_selection(p, &d, &size, &sel)) {
        reject(p, type, full, "no room for the selection");
        return;
    }
    switch (type) {
    case VD_AGENT_CLIPBOARD_GRAB: {
        uint32_t serial = 0;
        bool has_serial = vdagent_proto_peer_has(p, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
        if (has_serial) {
            if (size < 4) {
                reject(p, type, full, "no room for the serial");
                return;
            }
            serial = get_u32(d);
            d += 4;
            size -= 4;
        }
        if (size % 4 || size / 4 > VDAGENT_PROTO_MAX_GRAB_TYPES) {
            reject(p, type, full, "bad list of types");
            return;
        }
        if (sel < 0)
            return;
        if (has_serial)
            p->serial[sel] = serial + 1;
        uint32_t types[VDAGENT_PROTO_MAX_GRAB_TYPES];
        int n = (int)(size / 4);
        for (int i = 0; i < n; i++)
            types[i] = get_u32(d + 4 * i);
        if (p->h.clipboard_grab)
            p->h.clipboard_grab(sel, types, n, p->h.user_data);
        break;
    }
    case VD_AGENT_CLIPBOARD_REQUEST:
        if (size != 4) {
            reject(p, type, full, "wrong size");
            return;
        }
        if (sel >= 0 && p->h.clipboard_request)
            p->h.clipboard_request(sel, get_u32(d), p->h.user_data);
        else if (sel >= 0)
            vdagent_proto_send_clipboard(p, sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
        break;
    case VD_AGENT_CLIPBOARD:
        if (size < 4) {
            reject(p, type, full, "no room for the type");
            return;
        }
        if (sel >= 0 && p->h.clipboard_data)
            p->h.clipboard_data(sel, get_u32(d), d + 4, size - 4, p->h.user_data);
        break;
    case VD_AGENT_CLIPBOARD_RELEASE:
        if (size != 0) {
            reject(p, type, full, "wrong size");
            return;
        }
        if (sel >= 0 && p->h.clipboard_release)
            p->h.clipboard_release(sel, p->h.user_data);
        break;
    }
}

static void on_file_xfer(struct vdagent_proto *p, uint32_t type, const uint8_t *d, uint32_t size)
{
    if (size < 4) {
        reject(p, type, size, "no room for the transfer id");
        return;
    }
    uint32_t id = get_u32(d);
    switch (type) {
    case VD_AGENT_FILE_XFER_START: {
        if (!p->config.file_xfer || !p->h.file_xfer_start) {
            vdagent_proto_send_file_xfer_status(p, id, VD_AGENT_FILE_XFER_STATUS_DISABLED, NULL,
                                                0);
            return;
        }
        g_autofree char *text = g_strndup((const char *)d + 4, size - 4);
        p->h.file_xfer_start(id, text, p->h.user_data);
        break;
    }
    case VD_AGENT_FILE_XFER_DATA: {
        if (size < 12 || get_u64(d + 4) != size - 12) {
            reject(p, type, size, "data size does not match the message");
            vdagent_proto_send_file_xfer_status(p, id, VD_AGENT_FILE_XFER_STATUS_ERROR, NULL, 0);
            return;
        }
        if (p->h.file_xfer_data)
            p->h.file_xfer_data(id, d + 12, size - 12, p->h.user_data);
        break;
    }
    case VD_AGENT_FILE_XFER_STATUS:
        if (size < 8) {
            reject(p, type, size, "no room for the status");
            return;
        }
        if (p->h.file_xfer_status)
            p->h.file_xfer_status(id, get_u32(d + 4), p->h.user_data);
        break;
    }
}

/* VDAgentAudioVolumeSync {u8 is_playback; u8 mute; u8 nchannels;
 * u16 volume[nchannels]}, packed: exactly 3 + 2 * nchannels bytes. */
static void on_audio_volume(struct vdagent_proto *p, const uint8_t *d, uint32_t size)
{
    const char *why = NULL;
    uint32_t n = size >= 3 ? d[2] : 0;
    if (!p->config.audio_volume)
        why = "volume sync was not announced";
    else if (size < 3)
        why = "shorter than its header";
    else if (n == 0 || n > VDAGENT_PROTO_MAX_VOLUME_CHANNELS)
        why = "channel count out of range";
    else if (size != 3 + 2 * n)
        why = "size does not match its channel count";
    else if (d[0] > 1 || d[1] > 1)
        why = "playback or mute flag is neither 0 nor 1";
    if (why) {
        reject(p, VD_AGENT_AUDIO_VOLUME_SYNC, size, why);
        return;
    }
    uint16_t volume[VDAGENT_PROTO_MAX_VOLUME_CHANNELS];
    for (uint32_t i = 0; i < n; i++)
        volume[i] = (uint16_t)(d[3 + 2 * i] | d[4 + 2 * i] << 8);
    g_debug("agent channel: client %s volume %u (of %u channels), %s",
            d[0] ? "playback" : "record", volume[0], n, d[1] ? "muted" : "not muted");
    if (p->h.audio_volume)
        p->h.audio_volume(d[0], d[1], volume, (int)n, p->h.user_data);
}

static void dispatch_client(struct vdagent_proto *p, uint32_t type, const uint8_t *d,
                            uint32_t size)
{
    switch (type) {
    case VD_AGENT_MONITORS_CONFIG:
        on_monitors_config(p, d, size);
        break;
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        on_caps(p, d, size);
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_CLIPBOARD_RELEASE:
        on_clipboard_message(p, type, d, size);
        break;
    case VD_AGENT_FILE_XFER_START:
    case VD_AGENT_FILE_XFER_DATA:
    case VD_AGENT_FILE_XFER_STATUS:
        on_file_xfer(p, type, d, size);
        break;
    case VD_AGENT_MAX_CLIPBOARD:
        if (size != 4) {
            reject(p, type, size, "wrong size");
            return;
        }
        p->peer_max_clipboard = (int32_t)get_u32(d);
        break;
    case VD_AGENT_DISPLAY_CONFIG:
        if (size != 8)
            reject(p, type, size, "wrong size");
        break; /* wallpaper and font hints: nothing to do for an X desktop */
    case VD_AGENT_AUDIO_VOLUME_SYNC:
        on_audio_volume(p, d, size);
        break;
    case VD_AGENT_GRAPHICS_DEVICE_INFO:
        break; /* not ours to act on */
    default:
        reject(p, type, size, "not a message a client may send");
        break;
    }
}

static void dispatch_server(struct vdagent_proto *p, uint32_t type, const uint8_t *d,
                            uint32_t size)
{
    switch (type) {
    case VD_AGENT_MOUSE_STATE:
        if (size != 13) {
            reject(p, type, size, "wrong size");
            return;
        }
        if (p->h.mouse_state)
            p->h.mouse_state((int)get_u32(d), (int)get_u32(d + 4), get_u32(d + 8), d[12],
                             p->h.user_data);
        break;
    case VD_AGENT_CLIENT_DISCONNECTED:
        vdagent_proto_reset(p);
        if (p->h.client_disconnected)
            p->h.client_disconnected(p->h.user_data);
        break;
    case VD_AGENT_GRAPHICS_DEVICE_INFO:
        break;
    default:
        reject(p, type, size, "not a message spice-server sends");
        break;
    }
}

/* --- input: reassembly --- */

static void rx_clear(struct rx *r)
{
    r->hdr_len = 0;
    r->got = 0;
    r->skipping = false;
    if (r->data)
        g_byte_array_unref(r->data);
    r->data = NULL;
}

static void rx_complete(struct vdagent_proto *p, uint32_t port)
{
    struct rx *r = &p->rx[port];
    g_autoptr(GByteArray) data = g_steal_pointer(&r->data);
    bool skipped = r->skipping;
    uint32_t type = r->type, size = r->size;
    rx_clear(r);
    if (skipped)
        return;
    const uint8_t *d = data ? data->data : (const uint8_t *)"";
    if (port == VDP_SERVER_PORT)
        dispatch_server(p, type, d, size);
    else
        dispatch_client(p, type, d, size);
}

static void rx_feed(struct vdagent_proto *p, uint32_t port, const uint8_t *buf, size_t len)
{
    struct rx *r = &p->rx[port];
    while (len) {
        if (r->hdr_len < MSG_HEADER_SIZE) {
            size_t n = MIN(len, MSG_HEADER_SIZE - r->hdr_len);
            memcpy(r->hdr + r->hdr_len, buf, n);
            r->hdr_len += n;
            buf += n;
            len -= n;
            if (r->hdr_len < MSG_HEADER_SIZE)
                return;
            uint32_t protocol = get_u32(r->hdr);
            r->type = get_u32(r->hdr + 4);
            r->size = get_u32(r->hdr + 16);
            if (protocol != VD_AGENT_PROTOCOL) {
                reject(p, r->type, r->size, "unknown protocol version");
                r->skipping = true;
            } else if (r->size > p->config.max_message) {
                reject(p, r->type, r->size, "larger than the configured limit");
                r->skipping = true;
            } else {
                r->data = g_byte_array_sized_new(MIN(r->size, 65536));
            }
            r->got = 0;
            if (r->size == 0)
                rx_complete(p, port);
            continue;
        }
        size_t n = MIN(len, (size_t)(r->size - r->got));
        if (!r->skipping)
            g_byte_array_append(r->data, buf, (guint)n);
        r->got += (uint32_t)n;
        buf += n;
        len -= n;
        if (r->got == r->size)
            rx_complete(p, port);
    }
}

static void chunk_feed(struct vdagent_proto *p, const uint8_t *buf, size_t len)
{
    while (len) {
        if (p->chunk_hdr_len < CHUNK_HEADER_SIZE) {
            size_t n = MIN(len, CHUNK_HEADER_SIZE - p->chunk_hdr_len);
            memcpy(p->chunk_hdr + p->chunk_hdr_len, buf, n);
            p->chunk_hdr_len += n;
            buf += n;
            len -= n;
            if (p->chunk_hdr_len < CHUNK_HEADER_SIZE)
                return;
            p->chunk_port = get_u32(p->chunk_hdr);
            p->chunk_left = get_u32(p->chunk_hdr + 4);
            p->chunk_bad = false;
            if (p->chunk_port != VDP_CLIENT_PORT && p->chunk_port != VDP_SERVER_PORT) {
                reject(p, 0, p->chunk_left, "chunk for an unknown port");
                p->chunk_bad = true;
            } else if (p->chunk_left > VD_AGENT_MAX_DATA_SIZE) {
                reject(p, 0, p->chunk_left, "chunk larger than 2048 bytes");
                p->chunk_bad = true;
                /* the message it belonged to cannot be trusted any more */
                rx_clear(&p->rx[p->chunk_port]);
            }
            if (p->chunk_left == 0)
                p->chunk_hdr_len = 0;
            continue;
        }
        size_t n = MIN(len, (size_t)p->chunk_left);
        if (!p->chunk_bad)
            rx_feed(p, p->chunk_port, buf, n);
        buf += n;
        len -= n;
        p->chunk_left -= (uint32_t)n;
        if (p->chunk_left == 0)
            p->chunk_hdr_len = 0;
    }
}

void vdagent_proto_feed(struct vdagent_proto *p, const uint8_t *buf, size_t len)
{
    chunk_feed(p, buf, len);
}

/* --- lifecycle --- */

struct vdagent_proto *vdagent_proto_create(const struct vdagent_proto_config *config,
                                           const struct vdagent_proto_handlers *handlers)
{
    struct vdagent_proto *p = g_new0(struct vdagent_proto, 1);
    p->config = *config;
    if (handlers)
        p->h = *handlers;
    g_queue_init(&p->out);
    p->peer_max_clipboard = -1;
    return p;
}

void vdagent_proto_set_output_notify(struct vdagent_proto *p, void (*notify)(void *data),
                                     void *data)
{
    p->notify = notify;
    p->notify_data = data;
}

void vdagent_proto_reset(struct vdagent_proto *p)
{
    for (int i = 0; i < VDP_END_PORT; i++)
        if (i != VDP_SERVER_PORT)
            rx_clear(&p->rx[i]);
    memset(p->peer_caps, 0, sizeof(p->peer_caps));
    p->peer_caps_known = false;
    p->peer_max_clipboard = -1;
    memset(p->serial, 0, sizeof(p->serial));
    /* keep a message spice-server already started reading, drop the rest */
    struct out_msg *head = p->out_off ? g_queue_pop_head(&p->out) : NULL;
    struct out_msg *m;
    while ((m = g_queue_pop_head(&p->out)))
        out_msg_free(m);
    p->out_total = 0;
    if (head) {
        g_queue_push_head(&p->out, head);
        p->out_total = head->len - p->out_off;
    }
}

void vdagent_proto_destroy(struct vdagent_proto *p)
{
    if (!p)
        return;
    for (int i = 0; i < VDP_END_PORT; i++)
        rx_clear(&p->rx[i]);
    g_queue_clear_full(&p->out, (GDestroyNotify)out_msg_free);
    g_free(p);
}

bool vdagent_proto_peer_has(const struct vdagent_proto *p, unsigned cap)
{
    return p->peer_caps_known && cap < MAX_PEER_CAP_WORDS * 32 &&
           (p->peer_caps[cap / 32] & (1u << (cap % 32)));
}

int32_t vdagent_proto_peer_max_clipboard(const struct vdagent_proto *p)
{
    return p->peer_max_clipboard;
}

unsigned vdagent_proto_rejected(const struct vdagent_proto *p)
{
    return p->rejected;
}
