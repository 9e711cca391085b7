#include "usb/usb-bridge.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <usbredirfilter.h>
#include <usbredirparser.h>

#include "usb/usbip.h"

#define INT_BUFFERED_MAX 8

enum urb_kind {
    URB_CONTROL,
    URB_SET_CONFIG,
    URB_GET_CONFIG,
    URB_SET_ALT,
    URB_GET_ALT,
    URB_BULK,
    URB_INT_OUT,
    URB_INT_IN,
};

struct urb {
    uint64_t id;     /* usbredir id; 0 for a queued interrupt IN */
    uint32_t seqnum; /* USB/IP seqnum */
    enum urb_kind kind;
    uint8_t ep;      /* with the direction bit 0x80 */
    uint32_t length; /* transfer_buffer_length */
    bool unlinked;   /* the kernel gave up on it: drop the reply */
};

struct int_packet {
    int status;
    uint32_t len;
    uint8_t data[];
};

struct usb_bridge {
    struct usbredirparser *parser;
    const struct usb_policy *policy;
    struct usb_bridge_events events;
    void *user_data;

    const uint8_t *in; /* client bytes being parsed */
    size_t in_len;
    GByteArray *redir_out, *usbip_in, *usbip_out;

    struct usb_redir_ep_info_header ep_info;
    struct usb_redir_interface_info_header iface_info;
    bool connected;
    struct usb_device_desc dev;

    GHashTable *by_id;  /* &urb->id -> urb (owns) */
    GHashTable *by_seq; /* seqnum -> urb, only those the kernel still waits for */
    GQueue int_in[16];  /* queued interrupt IN urbs per endpoint number */
    GQueue int_buf[16]; /* pushed interrupt packets nobody asked for yet */
    bool int_receiving[16];
    uint64_t next_id;
};

static int map_status(uint8_t status)
{
    switch (status) {
    case usb_redir_success:
        return 0;
    case usb_redir_stall:
        return -EPIPE;
    case usb_redir_cancelled:
        return -ECONNRESET;
    case usb_redir_timeout:
        return -ETIMEDOUT;
    case usb_redir_babble:
        return -EOVERFLOW;
    case usb_redir_inval:
    case usb_redir_ioerror:
    default:
        return -EPROTO;
    }
}

static void flush_redir(struct usb_bridge *b)
{
    while (usbredirparser_has_data_to_write(b->parser))
        if (usbredirparser_do_write(b->parser) < 0)
            break;
    if (b->redir_out->len && b->events.redir_output)
        b->events.redir_output(b->user_data);
}

static void emit_usbip(struct usb_bridge *b, const struct usbip_header *h, const uint8_t *data,
                       size_t len)
{
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(h, wire);
    g_byte_array_append(b->usbip_out, wire, sizeof(wire));
    if (len)
        g_byte_array_append(b->usbip_out, data, len);
    if (b->events.usbip_output)
        b->events.usbip_output(b->user_data);
}

static void reply_submit(struct usb_bridge *b, uint32_t seqnum, int status, uint32_t actual,
                         const uint8_t *data, size_t len)
{
    struct usbip_header h;
    usbip_ret_submit(&h, seqnum, status, actual);
    h.u.ret_submit.number_of_packets = 0;
    emit_usbip(b, &h, data, len);
}

static struct urb *urb_new(struct usb_bridge *b, const struct usbip_header *h,
                           enum urb_kind kind)
{
    struct urb *u = g_new0(struct urb, 1);
    u->seqnum = h->seqnum;
    u->kind = kind;
    u->ep = h->ep | (h->direction == USBIP_DIR_IN ? 0x80 : 0);
    u->length = h->u.cmd_submit.transfer_buffer_length;
    if (kind != URB_INT_IN) {
        u->id = b->next_id++;
        g_hash_table_insert(b->by_id, &u->id, u);
    }
    g_hash_table_insert(b->by_seq, GUINT_TO_POINTER(u->seqnum), u);
    return u;
}

static void urb_forget(struct usb_bridge *b, struct urb *u)
{
    if (!u->unlinked)
        g_hash_table_remove(b->by_seq, GUINT_TO_POINTER(u->seqnum));
    if (u->kind != URB_INT_IN)
        g_hash_table_remove(b->by_id, &u->id); /* frees */
    else
        g_free(u);
}

/* The one completion of @u: IN data is clamped to what the kernel asked for.
 * @actual is the transferred length (data_len for IN). */
static void urb_complete(struct usb_bridge *b, struct urb *u, int status, const uint8_t *data,
                         size_t data_len, size_t actual)
{
    if (!u->unlinked) {
        bool in = u->ep & 0x80;
        if (actual > u->length) {
            actual = u->length;
            if (status == 0)
                status = -EOVERFLOW;
        }
        if (!in)
            data_len = 0;
        else if (data_len > actual)
            data_len = actual;
        reply_submit(b, u->seqnum, status, in ? data_len : actual, data, data_len);
    } else {
        g_debug("dropping the late reply of unlinked seqnum %u", u->seqnum);
    }
    urb_forget(b, u);
}

/* Looks up the urb of a client reply; NULL (and logged) for unknown ids. */
static struct urb *urb_for_reply(struct usb_bridge *b, uint64_t id, const char *what)
{
    struct urb *u = g_hash_table_lookup(b->by_id, &id);
    if (!u)
        g_debug("ignoring %s for unknown id %" G_GUINT64_FORMAT, what, id);
    return u;
}

static void int_buf_clear(GQueue *q)
{
    g_queue_clear_full(q, g_free);
}

static gint by_id_order(gconstpointer a, gconstpointer b)
{
    const struct urb *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Completes every urb the kernel waits for with @status; forgets unlinked ones. */
static void fail_all(struct usb_bridge *b, int status, bool cancel_on_client)
{
    GList *urbs = g_list_sort(g_hash_table_get_values(b->by_id), by_id_order);
    for (GList *l = urbs; l; l = l->next) {
        struct urb *u = l->data;
        if (cancel_on_client && !u->unlinked &&
            (u->kind == URB_CONTROL || u->kind == URB_BULK || u->kind == URB_INT_OUT))
            usbredirparser_send_cancel_data_packet(b->parser, u->id);
        if (status && !u->unlinked)
            urb_complete(b, u, status, NULL, 0, 0);
        else
            urb_forget(b, u);
    }
    g_list_free(urbs);
    for (int ep = 0; ep < 16; ep++) {
        struct urb *u;
        while ((u = g_queue_pop_head(&b->int_in[ep]))) {
            if (status)
                urb_complete(b, u, status, NULL, 0, 0);
            else
                urb_forget(b, u);
        }
        int_buf_clear(&b->int_buf[ep]);
        b->int_receiving[ep] = false;
    }
    g_assert(g_hash_table_size(b->by_seq) == 0);
}

/* --- client → us --- */

static void on_log(void *priv, int level, const char *msg)
{
    if (level <= usbredirparser_warning)
        g_message("usbredir: %s", msg);
    else if (level <= usbredirparser_debug)
        g_debug("usbredir: %s", msg);
}

static int on_read(void *priv, uint8_t *data, int count)
{
    struct usb_bridge *b = priv;
    size_t n = MIN((size_t)count, b->in_len);
    if (n == 0)
        return 0;
    memcpy(data, b->in, n);
    b->in += n;
    b->in_len -= n;
    return (int)n;
}

static int on_write(void *priv, uint8_t *data, int count)
{
    struct usb_bridge *b = priv;
    g_byte_array_append(b->redir_out, data, count);
    return count;
}

static void on_hello(void *priv, struct usb_redir_hello_header *hello)
{
    struct usb_bridge *b = priv;
    g_debug("client usbredir version '%.*s'", (int)sizeof(hello->version), hello->version);
    int n;
    const struct usbredirfilter_rule *rules = usb_policy_rules(b->policy, &n);
    if (n && usbredirparser_peer_has_cap(b->parser, usb_redir_cap_filter))
        usbredirparser_send_filter_filter(b->parser, rules, n);
}

static void on_ep_info(void *priv, struct usb_redir_ep_info_header *ep_info)
{
    struct usb_bridge *b = priv;
    b->ep_info = *ep_info;
}

static void on_interface_info(void *priv, struct usb_redir_interface_info_header *info)
{
    struct usb_bridge *b = priv;
    b->iface_info = *info;
    if (b->iface_info.interface_count > USB_DEVICE_MAX_INTERFACES)
        b->iface_info.interface_count = USB_DEVICE_MAX_INTERFACES;
}

static void on_device_connect(void *priv, struct usb_redir_device_connect_header *c)
{
    struct usb_bridge *b = priv;
    if (b->connected) {
        g_message("client connected a second device on one channel; ignoring it");
        return;
    }
    struct usb_device_desc *d = &b->dev;
    memset(d, 0, sizeof(*d));
    d->speed = c->speed;
    d->device_class = c->device_class;
    d->device_subclass = c->device_subclass;
    d->device_protocol = c->device_protocol;
    d->vendor_id = c->vendor_id;
    d->product_id = c->product_id;
    d->device_version_bcd = c->device_version_bcd;
    d->interface_count = (int)b->iface_info.interface_count;
    memcpy(d->interface_class, b->iface_info.interface_class, USB_DEVICE_MAX_INTERFACES);
    memcpy(d->interface_subclass, b->iface_info.interface_subclass, USB_DEVICE_MAX_INTERFACES);
    memcpy(d->interface_protocol, b->iface_info.interface_protocol, USB_DEVICE_MAX_INTERFACES);
    if (c->speed > usb_redir_speed_super) {
        g_message("client device %04x:%04x has an unknown speed %u; refusing it",
                  d->vendor_id, d->product_id, c->speed);
        usbredirparser_send_filter_reject(b->parser);
        return;
    }
    if (!usb_policy_allows(b->policy, d)) {
        usbredirparser_send_filter_reject(b->parser);
        if (b->events.device_rejected)
            b->events.device_rejected(d, b->user_data);
        return;
    }
    b->connected = true;
    b->next_id = 1;
    if (b->events.device_ready)
        b->events.device_ready(d, b->user_data);
}

static void on_device_disconnect(void *priv)
{
    struct usb_bridge *b = priv;
    bool was = b->connected;
    b->connected = false;
    fail_all(b, -ENODEV, false);
    memset(&b->ep_info, 0, sizeof(b->ep_info));
    memset(&b->iface_info, 0, sizeof(b->iface_info));
    /* The parser itself queues device_disconnect_ack when the client has the cap. */
    if (was && b->events.device_gone)
        b->events.device_gone(b->user_data);
}

static void on_configuration_status(void *priv, uint64_t id,
                                    struct usb_redir_configuration_status_header *st)
{
    struct usb_bridge *b = priv;
    struct urb *u = urb_for_reply(b, id, "configuration_status");
    if (!u)
        return;
    for (int ep = 0; ep < 16; ep++)
        b->int_receiving[ep] = false;
    if (u->kind == URB_GET_CONFIG)
        urb_complete(b, u, map_status(st->status), &st->configuration, 1, 1);
    else if (u->kind == URB_SET_CONFIG)
        urb_complete(b, u, map_status(st->status), NULL, 0, 0);
    else
        urb_complete(b, u, -EPROTO, NULL, 0, 0);
}

static void on_alt_setting_status(void *priv, uint64_t id,
                                  struct usb_redir_alt_setting_status_header *st)
{
    struct usb_bridge *b = priv;
    struct urb *u = urb_for_reply(b, id, "alt_setting_status");
    if (!u)
        return;
    for (int ep = 0; ep < 16; ep++)
        b->int_receiving[ep] = false;
    if (u->kind == URB_GET_ALT)
        urb_complete(b, u, map_status(st->status), &st->alt, 1, 1);
    else if (u->kind == URB_SET_ALT)
        urb_complete(b, u, map_status(st->status), NULL, 0, 0);
    else
        urb_complete(b, u, -EPROTO, NULL, 0, 0);
}

static void on_interrupt_receiving_status(void *priv, uint64_t id,
                                          struct usb_redir_interrupt_receiving_status_header *st)
{
    struct usb_bridge *b = priv;
    int ep = st->endpoint & 0x0f;
    if (st->status == usb_redir_success)
        return;
    g_debug("interrupt receiving on ep %02x failed: %u", st->endpoint, st->status);
    b->int_receiving[ep] = false;
    struct urb *u;
    while ((u = g_queue_pop_head(&b->int_in[ep])))
        urb_complete(b, u, map_status(st->status), NULL, 0, 0);
}

static void on_control_packet(void *priv, uint64_t id, struct usb_redir_control_packet_header *h,
                              uint8_t *data, int data_len)
{
    struct usb_bridge *b = priv;
    struct urb *u = urb_for_reply(b, id, "control_packet");
    if (u) {
        bool in = h->endpoint & 0x80;
        if (u->kind != URB_CONTROL)
            urb_complete(b, u, -EPROTO, NULL, 0, 0);
        else
            urb_complete(b, u, map_status(h->status), data, data_len,
                         in ? (size_t)data_len : h->length);
    }
    usbredirparser_free_packet_data(b->parser, data);
}

static void on_bulk_packet(void *priv, uint64_t id, struct usb_redir_bulk_packet_header *h,
                           uint8_t *data, int data_len)
{
    struct usb_bridge *b = priv;
    struct urb *u = urb_for_reply(b, id, "bulk_packet");
    if (u) {
        bool in = h->endpoint & 0x80;
        size_t len = h->length | (size_t)h->length_high << 16;
        if (u->kind != URB_BULK)
            urb_complete(b, u, -EPROTO, NULL, 0, 0);
        else
            urb_complete(b, u, map_status(h->status), data, data_len, in ? (size_t)data_len : len);
    }
    usbredirparser_free_packet_data(b->parser, data);
}

static void on_interrupt_packet(void *priv, uint64_t id,
                                struct usb_redir_interrupt_packet_header *h, uint8_t *data,
                                int data_len)
{
    struct usb_bridge *b = priv;
    if (h->endpoint & 0x80) {
        /* Pushed by the client after start_interrupt_receiving. */
        int ep = h->endpoint & 0x0f;
        struct urb *u = g_queue_pop_head(&b->int_in[ep]);
        if (u) {
            urb_complete(b, u, map_status(h->status), data, data_len, data_len);
        } else if (b->connected) {
            if (g_queue_get_length(&b->int_buf[ep]) >= INT_BUFFERED_MAX)
                g_free(g_queue_pop_head(&b->int_buf[ep]));
            struct int_packet *p = g_malloc(sizeof(*p) + data_len);
            p->status = map_status(h->status);
            p->len = data_len;
            if (data_len > 0)
                memcpy(p->data, data, data_len);
            g_queue_push_tail(&b->int_buf[ep], p);
        }
    } else {
        struct urb *u = urb_for_reply(b, id, "interrupt_packet");
        if (u)
            urb_complete(b, u, u->kind == URB_INT_OUT ? map_status(h->status) : -EPROTO, NULL,
                         0, h->length);
    }
    usbredirparser_free_packet_data(b->parser, data);
}

static void on_iso_packet(void *priv, uint64_t id, struct usb_redir_iso_packet_header *h,
                          uint8_t *data, int data_len)
{
    struct usb_bridge *b = priv;
    usbredirparser_free_packet_data(b->parser, data);
}

static void on_buffered_bulk_packet(void *priv, uint64_t id,
                                    struct usb_redir_buffered_bulk_packet_header *h,
                                    uint8_t *data, int data_len)
{
    struct usb_bridge *b = priv;
    usbredirparser_free_packet_data(b->parser, data);
}

static void on_filter_reject(void *priv)
{
    g_debug("client rejected our filter");
}

static void on_filter_filter(void *priv, struct usbredirfilter_rule *rules, int count)
{
    usbredirfilter_free(rules);
}

static void on_ignored_status(void *priv, uint64_t id, void *header)
{
}

/* --- kernel → client --- */

static uint16_t le16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static void submit_control(struct usb_bridge *b, const struct usbip_header *h,
                           const uint8_t *out_data)
{
    const uint8_t *s = h->u.cmd_submit.setup;
    uint8_t rt = s[0], req = s[1];
    uint16_t value = le16(s + 2), index = le16(s + 4), wlength = le16(s + 6);
    struct urb *u;
    if (rt == 0x00 && req == 5) { /* SET_ADDRESS: the kernel's business */
        reply_submit(b, h->seqnum, 0, 0, NULL, 0);
        return;
    }
    if (rt == 0x00 && req == 9) {
        u = urb_new(b, h, URB_SET_CONFIG);
        struct usb_redir_set_configuration_header sc = {.configuration = value & 0xff};
        usbredirparser_send_set_configuration(b->parser, u->id, &sc);
    } else if (rt == 0x80 && req == 8) {
        u = urb_new(b, h, URB_GET_CONFIG);
        usbredirparser_send_get_configuration(b->parser, u->id);
    } else if (rt == 0x01 && req == 11) {
        u = urb_new(b, h, URB_SET_ALT);
        struct usb_redir_set_alt_setting_header sa = {.interface = index & 0xff,
                                                      .alt = value & 0xff};
        usbredirparser_send_set_alt_setting(b->parser, u->id, &sa);
    } else if (rt == 0x81 && req == 10) {
        u = urb_new(b, h, URB_GET_ALT);
        struct usb_redir_get_alt_setting_header ga = {.interface = index & 0xff};
        usbredirparser_send_get_alt_setting(b->parser, u->id, &ga);
    } else {
        bool in = rt & 0x80;
        uint32_t len = in ? MIN(wlength, h->u.cmd_submit.transfer_buffer_length)
                          : MIN(wlength, h->u.cmd_submit.transfer_buffer_length);
        u = urb_new(b, h, URB_CONTROL);
        u->ep = (h->ep & 0x0f) | (in ? 0x80 : 0);
        struct usb_redir_control_packet_header c = {
            .endpoint = u->ep, .request = req, .requesttype = rt,
            .value = value, .index = index, .length = len};
        usbredirparser_send_control_packet(b->parser, u->id, &c, in ? NULL : (uint8_t *)out_data,
                                           in ? 0 : (int)len);
    }
}

static void submit_int_in(struct usb_bridge *b, const struct usbip_header *h)
{
    int ep = h->ep & 0x0f;
    struct int_packet *p = g_queue_pop_head(&b->int_buf[ep]);
    if (p) {
        struct urb *u = urb_new(b, h, URB_INT_IN);
        urb_complete(b, u, p->status, p->data, p->len, p->len);
        g_free(p);
        return;
    }
    struct urb *u = urb_new(b, h, URB_INT_IN);
    g_queue_push_tail(&b->int_in[ep], u);
    if (!b->int_receiving[ep]) {
        b->int_receiving[ep] = true;
        struct usb_redir_start_interrupt_receiving_header s = {.endpoint = 0x80 | ep};
        usbredirparser_send_start_interrupt_receiving(b->parser, b->next_id++, &s);
    }
}

static void handle_submit(struct usb_bridge *b, const struct usbip_header *h,
                          const uint8_t *payload)
{
    if (!b->connected) {
        reply_submit(b, h->seqnum, -ENODEV, 0, NULL, 0);
        return;
    }
    if (g_hash_table_contains(b->by_seq, GUINT_TO_POINTER(h->seqnum))) {
        g_debug("kernel reused seqnum %u of a request in flight", h->seqnum);
        return; /* answering it would complete the first one twice */
    }
    if (usbip_is_iso(h)) {
        reply_submit(b, h->seqnum, -EPROTO, 0, NULL, 0);
        return;
    }
    bool in = h->direction == USBIP_DIR_IN;
    uint32_t len = h->u.cmd_submit.transfer_buffer_length;
    if (h->ep == 0) {
        submit_control(b, h, payload);
        return;
    }
    uint8_t type = b->ep_info.type[h->ep + (in ? 16 : 0)];
    if (type == usb_redir_type_control) {
        submit_control(b, h, payload);
    } else if (type == usb_redir_type_bulk) {
        if (len > 0xffff &&
            !usbredirparser_peer_has_cap(b->parser, usb_redir_cap_32bits_bulk_length)) {
            reply_submit(b, h->seqnum, -EPROTO, 0, NULL, 0);
            return;
        }
        struct urb *u = urb_new(b, h, URB_BULK);
        struct usb_redir_bulk_packet_header bh = {
            .endpoint = u->ep, .length = len & 0xffff, .length_high = len >> 16};
        usbredirparser_send_bulk_packet(b->parser, u->id, &bh, in ? NULL : (uint8_t *)payload,
                                        in ? 0 : (int)len);
    } else if (type == usb_redir_type_interrupt && in) {
        submit_int_in(b, h);
    } else if (type == usb_redir_type_interrupt) {
        struct urb *u = urb_new(b, h, URB_INT_OUT);
        struct usb_redir_interrupt_packet_header ih = {.endpoint = u->ep, .length = len};
        if (len > 0xffff) {
            urb_complete(b, u, -EPROTO, NULL, 0, 0);
            return;
        }
        usbredirparser_send_interrupt_packet(b->parser, u->id, &ih, (uint8_t *)payload,
                                             (int)len);
    } else {
        /* iso (refused for now) or an endpoint the device does not have */
        reply_submit(b, h->seqnum, type == usb_redir_type_iso ? -EPROTO : -EPIPE, 0, NULL, 0);
    }
}

static void handle_unlink(struct usb_bridge *b, const struct usbip_header *h)
{
    struct usbip_header r;
    struct urb *u = g_hash_table_lookup(b->by_seq, GUINT_TO_POINTER(h->u.cmd_unlink.seqnum));
    if (!u) {
        usbip_ret_unlink(&r, h->seqnum, 0);
        emit_usbip(b, &r, NULL, 0);
        return;
    }
    if (u->kind == URB_INT_IN) {
        g_queue_remove(&b->int_in[u->ep & 0x0f], u);
        urb_forget(b, u);
    } else {
        if (u->kind == URB_CONTROL || u->kind == URB_BULK || u->kind == URB_INT_OUT)
            usbredirparser_send_cancel_data_packet(b->parser, u->id);
        g_hash_table_remove(b->by_seq, GUINT_TO_POINTER(u->seqnum));
        u->unlinked = true;
    }
    usbip_ret_unlink(&r, h->seqnum, -ECONNRESET);
    emit_usbip(b, &r, NULL, 0);
}

int usb_bridge_usbip_input(struct usb_bridge *b, const uint8_t *data, size_t len)
{
    g_byte_array_append(b->usbip_in, data, len);
    int ret = 0;
    while (b->usbip_in->len >= USBIP_HEADER_SIZE) {
        struct usbip_header h;
        if (usbip_decode(b->usbip_in->data, &h) != 0 ||
            (h.command != USBIP_CMD_SUBMIT && h.command != USBIP_CMD_UNLINK)) {
            g_debug("malformed USB/IP request from the kernel side");
            g_byte_array_set_size(b->usbip_in, 0);
            ret = -EPROTO;
            break;
        }
        size_t total = USBIP_HEADER_SIZE + usbip_cmd_payload_length(&h);
        if (b->usbip_in->len < total)
            break;
        if (h.command == USBIP_CMD_SUBMIT)
            handle_submit(b, &h, b->usbip_in->data + USBIP_HEADER_SIZE);
        else
            handle_unlink(b, &h);
        g_byte_array_remove_range(b->usbip_in, 0, total);
    }
    flush_redir(b);
    return ret;
}

/* --- lifecycle and plumbing --- */

struct usb_bridge *usb_bridge_create(const struct usb_policy *policy,
                                     const struct usb_bridge_events *events, void *user_data)
{
    struct usb_bridge *b = g_new0(struct usb_bridge, 1);
    b->policy = policy;
    b->events = *events;
    b->user_data = user_data;
    b->redir_out = g_byte_array_new();
    b->usbip_in = g_byte_array_new();
    b->usbip_out = g_byte_array_new();
    b->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    b->by_seq = g_hash_table_new(g_direct_hash, g_direct_equal);
    b->next_id = 1;

    struct usbredirparser *p = usbredirparser_create();
    p->priv = b;
    p->log_func = on_log;
    p->read_func = on_read;
    p->write_func = on_write;
    p->hello_func = on_hello;
    p->device_connect_func = on_device_connect;
    p->device_disconnect_func = on_device_disconnect;
    p->interface_info_func = on_interface_info;
    p->ep_info_func = on_ep_info;
    p->configuration_status_func = on_configuration_status;
    p->alt_setting_status_func = on_alt_setting_status;
    p->interrupt_receiving_status_func = on_interrupt_receiving_status;
    p->iso_stream_status_func = (usbredirparser_iso_stream_status)on_ignored_status;
    p->bulk_streams_status_func = (usbredirparser_bulk_streams_status)on_ignored_status;
    p->bulk_receiving_status_func = (usbredirparser_bulk_receiving_status)on_ignored_status;
    p->control_packet_func = on_control_packet;
    p->bulk_packet_func = on_bulk_packet;
    p->interrupt_packet_func = on_interrupt_packet;
    p->iso_packet_func = on_iso_packet;
    p->buffered_bulk_packet_func = on_buffered_bulk_packet;
    p->filter_reject_func = on_filter_reject;
    p->filter_filter_func = on_filter_filter;
    b->parser = p;

    uint32_t caps[USB_REDIR_CAPS_SIZE] = {0};
    usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_filter);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
    usbredirparser_init(p, "thindesk " THINDESK_USB_VERSION, caps, USB_REDIR_CAPS_SIZE, 0);
    /* The hello waits in the parser until the first flush (after a read). */
    while (usbredirparser_has_data_to_write(p))
        if (usbredirparser_do_write(p) < 0)
            break;
    return b;
}

void usb_bridge_destroy(struct usb_bridge *b)
{
    if (!b)
        return;
    fail_all(b, 0, false);
    usbredirparser_destroy(b->parser);
    g_hash_table_destroy(b->by_id);
    g_hash_table_destroy(b->by_seq);
    g_byte_array_unref(b->redir_out);
    g_byte_array_unref(b->usbip_in);
    g_byte_array_unref(b->usbip_out);
    g_free(b);
}

void usb_bridge_redir_input(struct usb_bridge *b, const uint8_t *data, size_t len)
{
    b->in = data;
    b->in_len = len;
    while (b->in_len > 0) {
        int r = usbredirparser_do_read(b->parser);
        if (r == usbredirparser_read_parse_error)
            g_debug("dropped a malformed usbredir packet from the client");
        else if (r != 0)
            break;
    }
    b->in = NULL;
    b->in_len = 0;
    flush_redir(b);
}

static size_t take(GByteArray *a, uint8_t *buf, size_t max)
{
    size_t n = MIN(max, a->len);
    if (n == 0)
        return 0;
    memcpy(buf, a->data, n);
    g_byte_array_remove_range(a, 0, n);
    return n;
}

size_t usb_bridge_redir_take(struct usb_bridge *b, uint8_t *buf, size_t max)
{
    return take(b->redir_out, buf, max);
}

size_t usb_bridge_redir_pending(const struct usb_bridge *b)
{
    return b->redir_out->len;
}

size_t usb_bridge_usbip_take(struct usb_bridge *b, uint8_t *buf, size_t max)
{
    return take(b->usbip_out, buf, max);
}

size_t usb_bridge_usbip_pending(const struct usb_bridge *b)
{
    return b->usbip_out->len;
}

void usb_bridge_usbip_reset(struct usb_bridge *b)
{
    fail_all(b, 0, b->connected);
    g_byte_array_set_size(b->usbip_in, 0);
    g_byte_array_set_size(b->usbip_out, 0);
    flush_redir(b);
}

void usb_bridge_refuse_device(struct usb_bridge *b)
{
    if (!b->connected)
        return;
    b->connected = false;
    fail_all(b, -ENODEV, false);
    usbredirparser_send_filter_reject(b->parser);
    flush_redir(b);
}

unsigned usb_bridge_inflight(const struct usb_bridge *b)
{
    return g_hash_table_size(b->by_seq);
}
