#include "tests/unit/fake-usb-host.h"

#include <string.h>
#include <usbredirfilter.h>
#include <usbredirparser.h>

#define BLOCK 2048

const uint8_t fake_host_msc_device_descriptor[18] = {
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x23, 0x2b,
    0xcd, 0xcd, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01};
static const uint8_t msc_config[32] = {
    0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
    0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
    0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
    0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00};
static const uint8_t hid_device_descriptor[18] = {
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x34, 0x12,
    0x78, 0x56, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01};
static const uint8_t hid_config[34] = {
    0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x00, 0xa0, 0x32,
    0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
    0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x10, 0x00,
    0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a};
static const uint8_t hid_report_descriptor[16] = {
    0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07,
    0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0xc0, 0x00};

struct parked {
    uint64_t id;
    struct usb_redir_bulk_packet_header h;
};

struct fake_host {
    enum fake_host_kind kind;
    uint32_t blocks;
    struct usbredirparser *parser;
    const uint8_t *in;
    size_t in_len;
    GByteArray *out;
    struct fake_host_stats st;
    bool hold, cancel_silently, receiving;
    GArray *parked;
    /* mass storage state */
    GByteArray *data;   /* data phase left to send */
    uint8_t csw[13];
    bool csw_pending;
    uint8_t sense_key, asc;
};

void fake_host_block(uint32_t lba, uint8_t *buf)
{
    for (int i = 0; i < BLOCK; i++)
        buf[i] = (uint8_t)(lba * 7 + i * 13 + (i >> 8) + (lba >> 8));
    memcpy(buf, &lba, 4);
}

static void flush(struct fake_host *h)
{
    while (usbredirparser_has_data_to_write(h->parser))
        if (usbredirparser_do_write(h->parser) < 0)
            break;
}

static int on_read(void *priv, uint8_t *data, int count)
{
    struct fake_host *h = priv;
    size_t n = MIN((size_t)count, h->in_len);
    if (n == 0)
        return 0;
    memcpy(data, h->in, n);
    h->in += n;
    h->in_len -= n;
    return (int)n;
}

static int on_write(void *priv, uint8_t *data, int count)
{
    struct fake_host *h = priv;
    g_byte_array_append(h->out, data, count);
    return count;
}

static void on_log(void *priv, int level, const char *msg)
{
    if (level <= usbredirparser_warning)
        g_test_message("fake host: usbredir: %s", msg);
}

static void on_hello(void *priv, struct usb_redir_hello_header *hello)
{
    struct fake_host *h = priv;
    h->st.hello++;
}

static void send_eps(struct fake_host *h)
{
    struct usb_redir_ep_info_header ep;
    memset(&ep, 0, sizeof(ep));
    memset(ep.type, usb_redir_type_invalid, sizeof(ep.type));
    ep.type[0] = ep.type[16] = usb_redir_type_control;
    ep.max_packet_size[0] = ep.max_packet_size[16] = 64;
    if (h->st.configuration) {
        if (h->kind == FAKE_HOST_MSC) {
            ep.type[2] = ep.type[17] = usb_redir_type_bulk;
            ep.max_packet_size[2] = ep.max_packet_size[17] = 512;
        } else {
            ep.type[17] = usb_redir_type_interrupt;
            ep.interval[17] = 10;
            ep.max_packet_size[17] = 8;
        }
    }
    usbredirparser_send_ep_info(h->parser, &ep);
    struct usb_redir_interface_info_header ii;
    memset(&ii, 0, sizeof(ii));
    ii.interface_count = 1;
    ii.interface_class[0] = h->kind == FAKE_HOST_MSC ? 0x08 : 0x03;
    ii.interface_subclass[0] = h->kind == FAKE_HOST_MSC ? 0x06 : 0x01;
    ii.interface_protocol[0] = h->kind == FAKE_HOST_MSC ? 0x50 : 0x01;
    usbredirparser_send_interface_info(h->parser, &ii);
}

static void on_set_configuration(void *priv, uint64_t id,
                                 struct usb_redir_set_configuration_header *sc)
{
    struct fake_host *h = priv;
    h->st.set_config++;
    struct usb_redir_configuration_status_header st = {.status = usb_redir_success,
                                                       .configuration = sc->configuration};
    if (sc->configuration > 1) {
        st.status = usb_redir_stall;
    } else {
        h->st.configuration = sc->configuration;
        h->receiving = false;
        send_eps(h);
    }
    usbredirparser_send_configuration_status(h->parser, id, &st);
}

static void on_get_configuration(void *priv, uint64_t id)
{
    struct fake_host *h = priv;
    h->st.get_config++;
    struct usb_redir_configuration_status_header st = {.status = usb_redir_success,
                                                       .configuration = h->st.configuration};
    usbredirparser_send_configuration_status(h->parser, id, &st);
}

static void on_set_alt(void *priv, uint64_t id, struct usb_redir_set_alt_setting_header *sa)
{
    struct fake_host *h = priv;
    h->st.set_alt++;
    struct usb_redir_alt_setting_status_header st = {
        .status = sa->alt == 0 ? usb_redir_success : usb_redir_stall,
        .interface = sa->interface, .alt = 0};
    usbredirparser_send_alt_setting_status(h->parser, id, &st);
}

static void on_get_alt(void *priv, uint64_t id, struct usb_redir_get_alt_setting_header *ga)
{
    struct fake_host *h = priv;
    h->st.get_alt++;
    struct usb_redir_alt_setting_status_header st = {.status = usb_redir_success,
                                                     .interface = ga->interface, .alt = 0};
    usbredirparser_send_alt_setting_status(h->parser, id, &st);
}

static void on_control(void *priv, uint64_t id, struct usb_redir_control_packet_header *c,
                       uint8_t *data, int data_len)
{
    struct fake_host *h = priv;
    h->st.control++;
    struct usb_redir_control_packet_header r = *c;
    const uint8_t *reply = NULL;
    size_t len = 0;
    uint8_t strdesc[32];
    r.status = usb_redir_success;
    if (c->requesttype == 0x80 && c->request == 6) {
        uint8_t type = c->value >> 8, index = c->value & 0xff;
        if (type == 1) {
            reply = h->kind == FAKE_HOST_MSC ? fake_host_msc_device_descriptor
                                             : hid_device_descriptor;
            len = 18;
        } else if (type == 2 && index == 0) {
            reply = h->kind == FAKE_HOST_MSC ? msc_config : hid_config;
            len = h->kind == FAKE_HOST_MSC ? sizeof(msc_config) : sizeof(hid_config);
        } else if (type == 3) {
            const char *s = index == 0 ? "\x09\x04" : "fake";
            size_t n = index == 0 ? 1 : strlen(s);
            strdesc[0] = 2 + 2 * n;
            strdesc[1] = 3;
            for (size_t i = 0; i < n; i++) {
                strdesc[2 + 2 * i] = index == 0 ? (uint8_t)s[i * 2] : (uint8_t)s[i];
                strdesc[3 + 2 * i] = index == 0 ? (uint8_t)s[i * 2 + 1] : 0;
            }
            reply = strdesc;
            len = strdesc[0];
        } else {
            r.status = usb_redir_stall;
        }
    } else if (c->requesttype == 0x81 && c->request == 6 && (c->value >> 8) == 0x22 &&
               h->kind == FAKE_HOST_HID) {
        reply = hid_report_descriptor;
        len = sizeof(hid_report_descriptor);
    } else if (c->requesttype == 0x21 && (c->request == 0x0a || c->request == 0x0b)) {
        /* HID SET_IDLE / SET_PROTOCOL */
    } else if (c->requesttype == 0x21 && c->request == 0x09 && data_len > 0) {
        /* HID SET_REPORT (LEDs): remember the data */
        h->st.last_out_len = MIN((size_t)data_len, sizeof(h->st.last_out));
        memcpy(h->st.last_out, data, h->st.last_out_len);
    } else if (c->requesttype == 0xa1 && c->request == 0xfe) {
        static const uint8_t zero = 0; /* GET_MAX_LUN */
        reply = &zero;
        len = 1;
    } else {
        r.status = usb_redir_stall;
    }
    if (!(c->endpoint & 0x80)) {
        len = 0;
        r.length = r.status == usb_redir_success ? data_len : 0;
    } else {
        len = MIN(len, c->length);
        r.length = len;
    }
    usbredirparser_send_control_packet(h->parser, id, &r, (uint8_t *)reply, (int)len);
    usbredirparser_free_packet_data(h->parser, data);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void scsi_command(struct fake_host *h, const uint8_t *cbw)
{
    const uint8_t *cb = cbw + 15;
    uint32_t tag, want;
    memcpy(&tag, cbw + 4, 4);
    memcpy(&want, cbw + 8, 4);
    uint8_t status = 0;
    g_byte_array_set_size(h->data, 0);
    switch (cb[0]) {
    case 0x00: /* TEST UNIT READY */
        break;
    case 0x03: { /* REQUEST SENSE */
        uint8_t s[18] = {0x70, 0, h->sense_key, 0, 0, 0, 0, 10, 0, 0, 0, 0, h->asc};
        g_byte_array_append(h->data, s, sizeof(s));
        h->sense_key = h->asc = 0;
        break;
    }
    case 0x12: { /* INQUIRY */
        uint8_t s[36] = {0x05, 0x80, 0x00, 0x32, 31};
        memcpy(s + 8, "THINDESK", 8);
        memcpy(s + 16, "FAKE CDROM      ", 16);
        memcpy(s + 32, "0001", 4);
        g_byte_array_append(h->data, s, sizeof(s));
        break;
    }
    case 0x25: { /* READ CAPACITY(10) */
        uint8_t s[8];
        put_be32(s, h->blocks - 1);
        put_be32(s + 4, BLOCK);
        g_byte_array_append(h->data, s, sizeof(s));
        break;
    }
    case 0x28: { /* READ(10) */
        uint32_t lba = (uint32_t)cb[2] << 24 | cb[3] << 16 | cb[4] << 8 | cb[5];
        uint32_t n = cb[7] << 8 | cb[8];
        if ((uint64_t)lba + n > h->blocks) {
            status = 1;
            h->sense_key = 5;
            h->asc = 0x21;
            break;
        }
        uint8_t block[BLOCK];
        for (uint32_t i = 0; i < n; i++) {
            fake_host_block(lba + i, block);
            g_byte_array_append(h->data, block, BLOCK);
        }
        break;
    }
    default:
        status = 1;
        h->sense_key = 5;
        h->asc = 0x20;
    }
    if (h->data->len > want)
        g_byte_array_set_size(h->data, want);
    uint32_t residue = want - h->data->len;
    memcpy(h->csw, "USBS", 4);
    memcpy(h->csw + 4, &tag, 4);
    memcpy(h->csw + 8, &residue, 4);
    h->csw[12] = status;
    h->csw_pending = true;
}

static void answer_bulk(struct fake_host *h, uint64_t id, struct usb_redir_bulk_packet_header *b,
                        uint8_t status)
{
    uint32_t want = b->length | (uint32_t)b->length_high << 16;
    struct usb_redir_bulk_packet_header r = *b;
    r.status = status;
    const uint8_t *reply = NULL;
    uint32_t len = 0;
    if (status == usb_redir_success) {
        if (h->data->len) {
            len = MIN(want, h->data->len);
            reply = g_memdup2(h->data->data, len);
            g_byte_array_remove_range(h->data, 0, len);
        } else if (h->csw_pending && want >= 13) {
            reply = g_memdup2(h->csw, 13);
            len = 13;
            h->csw_pending = false;
        } else {
            r.status = usb_redir_stall;
        }
    }
    r.length = len & 0xffff;
    r.length_high = len >> 16;
    usbredirparser_send_bulk_packet(h->parser, id, &r, (uint8_t *)reply, (int)len);
    g_free((void *)reply);
}

static void on_bulk(void *priv, uint64_t id, struct usb_redir_bulk_packet_header *b,
                    uint8_t *data, int data_len)
{
    struct fake_host *h = priv;
    h->st.bulk++;
    if (b->endpoint & 0x80) {
        if (h->hold) {
            struct parked p = {id, *b};
            g_array_append_val(h->parked, p);
        } else {
            answer_bulk(h, id, b, usb_redir_success);
        }
    } else {
        struct usb_redir_bulk_packet_header r = *b;
        r.status = usb_redir_success;
        if (data_len == 31 && memcmp(data, "USBC", 4) == 0)
            scsi_command(h, data);
        else
            r.status = usb_redir_stall;
        usbredirparser_send_bulk_packet(h->parser, id, &r, NULL, 0);
    }
    usbredirparser_free_packet_data(h->parser, data);
}

static void on_interrupt(void *priv, uint64_t id, struct usb_redir_interrupt_packet_header *ih,
                         uint8_t *data, int data_len)
{
    struct fake_host *h = priv;
    h->st.interrupt_out++;
    struct usb_redir_interrupt_packet_header r = *ih;
    r.status = usb_redir_stall;
    usbredirparser_send_interrupt_packet(h->parser, id, &r, NULL, 0);
    usbredirparser_free_packet_data(h->parser, data);
}

static void on_start_int(void *priv, uint64_t id,
                         struct usb_redir_start_interrupt_receiving_header *s)
{
    struct fake_host *h = priv;
    h->st.start_int++;
    struct usb_redir_interrupt_receiving_status_header st = {.endpoint = s->endpoint};
    st.status = h->kind == FAKE_HOST_HID && s->endpoint == 0x81 ? usb_redir_success
                                                                : usb_redir_inval;
    h->receiving = st.status == usb_redir_success;
    usbredirparser_send_interrupt_receiving_status(h->parser, id, &st);
}

static void on_stop_int(void *priv, uint64_t id,
                        struct usb_redir_stop_interrupt_receiving_header *s)
{
    struct fake_host *h = priv;
    h->st.stop_int++;
    h->receiving = false;
    struct usb_redir_interrupt_receiving_status_header st = {.endpoint = s->endpoint};
    usbredirparser_send_interrupt_receiving_status(h->parser, id, &st);
}

static void on_cancel(void *priv, uint64_t id)
{
    struct fake_host *h = priv;
    h->st.cancel++;
    h->st.last_cancel_id = id;
    if (h->cancel_silently)
        return;
    for (guint i = 0; i < h->parked->len; i++) {
        struct parked *p = &g_array_index(h->parked, struct parked, i);
        if (p->id == id) {
            struct parked copy = *p;
            g_array_remove_index(h->parked, i);
            answer_bulk(h, copy.id, &copy.h, usb_redir_cancelled);
            return;
        }
    }
}

static void on_filter_reject(void *priv)
{
    struct fake_host *h = priv;
    h->st.filter_reject++;
}

static void on_filter_filter(void *priv, struct usbredirfilter_rule *rules, int count)
{
    struct fake_host *h = priv;
    h->st.filter_rules = count;
    usbredirfilter_free(rules);
}

static void on_disconnect_ack(void *priv)
{
    struct fake_host *h = priv;
    h->st.disconnect_ack++;
}

static void on_reset(void *priv)
{
}

struct fake_host *fake_host_create(enum fake_host_kind kind, uint32_t blocks)
{
    struct fake_host *h = g_new0(struct fake_host, 1);
    h->kind = kind;
    h->blocks = blocks ? blocks : 64;
    h->out = g_byte_array_new();
    h->data = g_byte_array_new();
    h->parked = g_array_new(FALSE, FALSE, sizeof(struct parked));
    struct usbredirparser *p = usbredirparser_create();
    p->priv = h;
    p->log_func = on_log;
    p->read_func = on_read;
    p->write_func = on_write;
    p->hello_func = on_hello;
    p->reset_func = on_reset;
    p->set_configuration_func = on_set_configuration;
    p->get_configuration_func = on_get_configuration;
    p->set_alt_setting_func = on_set_alt;
    p->get_alt_setting_func = on_get_alt;
    p->control_packet_func = on_control;
    p->bulk_packet_func = on_bulk;
    p->interrupt_packet_func = on_interrupt;
    p->start_interrupt_receiving_func = on_start_int;
    p->stop_interrupt_receiving_func = on_stop_int;
    p->cancel_data_packet_func = on_cancel;
    p->filter_reject_func = on_filter_reject;
    p->filter_filter_func = on_filter_filter;
    p->device_disconnect_ack_func = on_disconnect_ack;
    h->parser = p;
    uint32_t caps[USB_REDIR_CAPS_SIZE] = {0};
    usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_filter);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
    usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
    usbredirparser_init(p, "fake usb-host", caps, USB_REDIR_CAPS_SIZE,
                        usbredirparser_fl_usb_host);
    flush(h);
    return h;
}

void fake_host_destroy(struct fake_host *h)
{
    if (!h)
        return;
    usbredirparser_destroy(h->parser);
    g_byte_array_unref(h->out);
    g_byte_array_unref(h->data);
    g_array_unref(h->parked);
    g_free(h);
}

void fake_host_input(struct fake_host *h, const uint8_t *data, size_t len)
{
    h->in = data;
    h->in_len = len;
    while (h->in_len > 0)
        if (usbredirparser_do_read(h->parser) == 0)
            break;
    flush(h);
}

GByteArray *fake_host_take(struct fake_host *h)
{
    GByteArray *a = h->out;
    h->out = g_byte_array_new();
    return a;
}

void fake_host_plug(struct fake_host *h)
{
    h->st.configuration = 0;
    send_eps(h);
    struct usb_redir_device_connect_header c = {
        .speed = h->kind == FAKE_HOST_MSC ? usb_redir_speed_high : usb_redir_speed_full,
        .vendor_id = h->kind == FAKE_HOST_MSC ? 0x2b23 : 0x1234,
        .product_id = h->kind == FAKE_HOST_MSC ? 0xcdcd : 0x5678,
        .device_version_bcd = 0x0100};
    usbredirparser_send_device_connect(h->parser, &c);
    flush(h);
}

void fake_host_unplug(struct fake_host *h)
{
    usbredirparser_send_device_disconnect(h->parser);
    flush(h);
}

void fake_host_hold(struct fake_host *h, bool hold, bool cancel_silently)
{
    h->hold = hold;
    h->cancel_silently = cancel_silently;
}

void fake_host_release(struct fake_host *h)
{
    GArray *parked = h->parked;
    h->parked = g_array_new(FALSE, FALSE, sizeof(struct parked));
    for (guint i = 0; i < parked->len; i++) {
        struct parked *p = &g_array_index(parked, struct parked, i);
        answer_bulk(h, p->id, &p->h, usb_redir_success);
    }
    g_array_unref(parked);
    flush(h);
}

bool fake_host_push_report(struct fake_host *h, const uint8_t report[8])
{
    if (!h->receiving)
        return false;
    struct usb_redir_interrupt_packet_header ih = {.endpoint = 0x81, .length = 8};
    usbredirparser_send_interrupt_packet(h->parser, 0, &ih, (uint8_t *)report, 8);
    flush(h);
    return true;
}

void fake_host_send_raw(struct fake_host *h, const uint8_t *data, size_t len)
{
    g_byte_array_append(h->out, data, len);
}

const struct fake_host_stats *fake_host_stats(const struct fake_host *h)
{
    return &h->st;
}
