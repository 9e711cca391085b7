#include "usb/usb-fake-kernel.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "usb/usbip.h"

#define MAX_RETRIES 20

struct usb_fake_kernel;
typedef void (*done_fn)(struct usb_fake_kernel *k, int status, const uint8_t *data, size_t len);

struct usb_fake_kernel {
    struct usb_fake_kernel_config cfg;
    struct usb_fake_kernel_events events;
    void *user_data;
    struct usb_fake_kernel_result res;
    GByteArray *in, *out;
    FILE *dump;
    bool finished;

    /* the request in flight */
    uint32_t seqnum;
    bool busy, busy_in;
    uint32_t busy_len;
    done_fn done;

    /* descriptors */
    uint8_t config_value;
    uint16_t config_total;
    uint8_t ep_bulk_in, ep_bulk_out, ep_int_in;
    uint16_t int_max_packet;

    /* bulk-only transport */
    uint32_t tag;
    uint8_t cb[16];
    int cb_len;
    uint32_t data_len;
    done_fn after_csw;
    GByteArray *data;
    uint8_t csw_status;
    int retries;
    uint64_t next_lba;
    gint64 t_start;
};

static void finish(struct usb_fake_kernel *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void finish(struct usb_fake_kernel *k, const char *fmt, ...)
{
    if (k->finished)
        return;
    k->finished = true;
    k->res.ok = fmt == NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        g_vsnprintf(k->res.error, sizeof(k->res.error), fmt, ap);
        va_end(ap);
    }
    if (k->dump) {
        if (fclose(k->dump) != 0 && k->res.ok) {
            k->res.ok = false;
            g_snprintf(k->res.error, sizeof(k->res.error), "cannot write %s", k->cfg.dump_path);
        }
        k->dump = NULL;
    }
    if (k->events.finished)
        k->events.finished(&k->res, k->user_data);
}

static void submit(struct usb_fake_kernel *k, uint8_t ep, bool in, uint32_t len,
                   const uint8_t *setup, const uint8_t *out_data, done_fn done)
{
    g_assert(!k->busy);
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = ++k->seqnum;
    h.devid = k->cfg.devid;
    h.direction = in ? USBIP_DIR_IN : USBIP_DIR_OUT;
    h.ep = ep & 0x0f;
    h.u.cmd_submit.transfer_buffer_length = len;
    h.u.cmd_submit.number_of_packets = 0;
    if (setup)
        memcpy(h.u.cmd_submit.setup, setup, 8);
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(&h, wire);
    g_byte_array_append(k->out, wire, sizeof(wire));
    if (!in && len)
        g_byte_array_append(k->out, out_data, len);
    k->busy = true;
    k->busy_in = in;
    k->busy_len = len;
    k->done = done;
    if (k->events.output)
        k->events.output(k->user_data);
}

static void control(struct usb_fake_kernel *k, uint8_t rt, uint8_t req, uint16_t value,
                    uint16_t index, uint16_t length, done_fn done)
{
    uint8_t setup[8] = {rt, req, value & 0xff, value >> 8, index & 0xff, index >> 8,
                        length & 0xff, length >> 8};
    submit(k, 0, rt & 0x80, length, setup, NULL, done);
}

/* --- bulk-only mass storage --- */

static void bbb_command(struct usb_fake_kernel *k, const uint8_t *cb, int cb_len,
                        uint32_t data_len, done_fn after_csw);

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_csw(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0 || len != 13 || memcmp(d, "USBS", 4) != 0) {
        finish(k, "bad CSW for SCSI command %02x (status %d, %zu bytes)", k->cb[0], status, len);
        return;
    }
    uint32_t tag = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
    if (tag != k->tag) {
        finish(k, "CSW tag %u does not match CBW tag %u", tag, k->tag);
        return;
    }
    k->csw_status = d[12];
    k->after_csw(k, 0, k->data->data, k->data->len);
}

static void read_csw(struct usb_fake_kernel *k)
{
    submit(k, k->ep_bulk_in, true, 13, NULL, NULL, on_csw);
}

static void on_clear_halt(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0) {
        finish(k, "CLEAR_FEATURE(ENDPOINT_HALT) failed: %d", status);
        return;
    }
    read_csw(k);
}

static void on_data(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status == -EPIPE) { /* the device stalled the data phase: clear it, read the CSW */
        control(k, 0x02, 1, 0, k->ep_bulk_in, 0, on_clear_halt);
        return;
    }
    if (status != 0) {
        finish(k, "data phase of SCSI command %02x failed: %d", k->cb[0], status);
        return;
    }
    g_byte_array_append(k->data, d, len);
    read_csw(k);
}

static void on_cbw(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0) {
        finish(k, "CBW for SCSI command %02x failed: %d", k->cb[0], status);
        return;
    }
    if (k->data_len)
        submit(k, k->ep_bulk_in, true, k->data_len, NULL, NULL, on_data);
    else
        read_csw(k);
}

static void bbb_command(struct usb_fake_kernel *k, const uint8_t *cb, int cb_len,
                        uint32_t data_len, done_fn after_csw)
{
    uint8_t cbw[31] = {'U', 'S', 'B', 'C'};
    put_le32(cbw + 4, ++k->tag);
    put_le32(cbw + 8, data_len);
    cbw[12] = data_len ? 0x80 : 0;
    cbw[14] = cb_len;
    memcpy(cbw + 15, cb, cb_len);
    memcpy(k->cb, cb, cb_len);
    k->cb_len = cb_len;
    k->data_len = data_len;
    k->after_csw = after_csw;
    g_byte_array_set_size(k->data, 0);
    submit(k, k->ep_bulk_out, false, sizeof(cbw), NULL, cbw, on_cbw);
}

static void msc_read_next(struct usb_fake_kernel *k);

static void on_read10(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (k->csw_status != 0) {
        finish(k, "READ(10) at block %" G_GUINT64_FORMAT " failed", k->next_lba);
        return;
    }
    if (k->dump && fwrite(d, 1, len, k->dump) != len) {
        finish(k, "cannot write %s", k->cfg.dump_path);
        return;
    }
    k->res.bytes_read += len;
    k->next_lba += len / k->res.block_size;
    if (len % k->res.block_size || len == 0) {
        finish(k, "READ(10) returned %zu bytes, not whole blocks", len);
        return;
    }
    msc_read_next(k);
}

static void msc_read_next(struct usb_fake_kernel *k)
{
    uint64_t limit = k->res.blocks;
    if (k->cfg.max_bytes)
        limit = MIN(limit, k->cfg.max_bytes / k->res.block_size);
    if (k->next_lba >= limit) {
        k->res.read_seconds = (g_get_monotonic_time() - k->t_start) / 1e6;
        finish(k, NULL);
        return;
    }
    uint32_t per = MAX(1u, (k->cfg.transfer_size ? k->cfg.transfer_size : 65536) /
                               k->res.block_size);
    uint32_t n = (uint32_t)MIN((uint64_t)per, limit - k->next_lba);
    n = MIN(n, 0xffffu);
    uint32_t lba = (uint32_t)k->next_lba;
    uint8_t cb[10] = {0x28, 0, lba >> 24, lba >> 16, lba >> 8, lba, 0, n >> 8, n, 0};
    bbb_command(k, cb, 10, n * k->res.block_size, on_read10);
}

static void on_read_capacity(struct usb_fake_kernel *k, int status, const uint8_t *d,
                             size_t len)
{
    if (k->csw_status != 0 || len < 8) {
        finish(k, "READ CAPACITY failed");
        return;
    }
    k->res.blocks = (uint64_t)be32(d) + 1;
    k->res.block_size = be32(d + 4);
    if (k->res.block_size == 0 || k->res.block_size > 65536) {
        finish(k, "device reports a block size of %u", k->res.block_size);
        return;
    }
    if (k->cfg.dump_path) {
        k->dump = fopen(k->cfg.dump_path, "wb");
        if (!k->dump) {
            finish(k, "cannot create %s: %s", k->cfg.dump_path, g_strerror(errno));
            return;
        }
    }
    k->next_lba = 0;
    k->t_start = g_get_monotonic_time();
    msc_read_next(k);
}

static void msc_test_unit_ready(struct usb_fake_kernel *k);

static void on_request_sense(struct usb_fake_kernel *k, int status, const uint8_t *d,
                             size_t len)
{
    g_debug("fake kernel: sense key %x asc %02x", len > 2 ? d[2] & 0xf : 0, len > 12 ? d[12] : 0);
    if (++k->retries > MAX_RETRIES) {
        finish(k, "the medium never became ready");
        return;
    }
    msc_test_unit_ready(k);
}

static void on_test_unit_ready(struct usb_fake_kernel *k, int status, const uint8_t *d,
                               size_t len)
{
    if (k->csw_status != 0) {
        static const uint8_t sense[6] = {0x03, 0, 0, 0, 18, 0};
        bbb_command(k, sense, 6, 18, on_request_sense);
        return;
    }
    static const uint8_t cap[10] = {0x25};
    bbb_command(k, cap, 10, 8, on_read_capacity);
}

static void msc_test_unit_ready(struct usb_fake_kernel *k)
{
    static const uint8_t tur[6] = {0};
    bbb_command(k, tur, 6, 0, on_test_unit_ready);
}

static void copy_trimmed(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isprint(dst[i]))
            dst[i] = '?';
    g_strchomp(dst);
}

static void on_inquiry(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (k->csw_status != 0 || len < 36) {
        finish(k, "INQUIRY failed");
        return;
    }
    copy_trimmed(k->res.scsi_vendor, d + 8, 8);
    copy_trimmed(k->res.scsi_product, d + 16, 16);
    k->retries = 0;
    msc_test_unit_ready(k);
}

/* --- HID --- */

static void on_report(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0) {
        finish(k, "interrupt IN failed: %d", status);
        return;
    }
    k->res.reports++;
    k->res.last_report_len = (int)MIN(len, sizeof(k->res.last_report));
    if (k->res.last_report_len)
        memcpy(k->res.last_report, d, k->res.last_report_len);
    if (k->res.reports >= k->cfg.hid_reports) {
        finish(k, NULL);
        return;
    }
    submit(k, k->ep_int_in, true, k->int_max_packet, NULL, NULL, on_report);
}

static void on_set_idle(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    /* SET_IDLE may stall on devices that do not support it; Linux goes on. */
    if (k->cfg.hid_reports <= 0 || !k->ep_int_in) {
        finish(k, NULL);
        return;
    }
    submit(k, k->ep_int_in, true, k->int_max_packet, NULL, NULL, on_report);
}

/* --- enumeration --- */

static void on_set_configuration(struct usb_fake_kernel *k, int status, const uint8_t *d,
                                 size_t len)
{
    if (status != 0) {
        finish(k, "SET_CONFIGURATION(%u) failed: %d", k->config_value, status);
        return;
    }
    if (k->res.interface_class == 0x08 && k->res.interface_protocol == 0x50 &&
        k->ep_bulk_in && k->ep_bulk_out) {
        static const uint8_t inquiry[6] = {0x12, 0, 0, 0, 36, 0};
        bbb_command(k, inquiry, 6, 36, on_inquiry);
    } else if (k->res.interface_class == 0x03) {
        control(k, 0x21, 0x0a, 0, 0, 0, on_set_idle);
    } else {
        finish(k, NULL);
    }
}

static void parse_config(struct usb_fake_kernel *k, const uint8_t *d, size_t len)
{
    k->config_value = d[5];
    bool first_iface = false, in_first = false;
    for (size_t off = 0; off + 2 <= len && d[off] >= 2; off += d[off]) {
        const uint8_t *x = d + off;
        if (off + x[0] > len)
            break;
        if (x[1] == 4 && x[0] >= 9) { /* interface */
            in_first = !first_iface && x[3] == 0;
            if (in_first) {
                first_iface = true;
                k->res.interface_class = x[5];
                k->res.interface_subclass = x[6];
                k->res.interface_protocol = x[7];
            }
        } else if (x[1] == 5 && x[0] >= 7 && in_first) { /* endpoint */
            uint8_t addr = x[2], type = x[3] & 3;
            if (type == 2 && (addr & 0x80))
                k->ep_bulk_in = addr;
            else if (type == 2)
                k->ep_bulk_out = addr;
            else if (type == 3 && (addr & 0x80) && !k->ep_int_in) {
                k->ep_int_in = addr;
                k->int_max_packet = (x[4] | x[5] << 8) & 0x7ff;
            }
        }
    }
}

static void on_config_full(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0 || len < 9 || d[1] != 2) {
        finish(k, "cannot read the configuration descriptor (%d)", status);
        return;
    }
    parse_config(k, d, len);
    g_debug("fake kernel: configuration %u, interface %02x/%02x/%02x", k->config_value,
            k->res.interface_class, k->res.interface_subclass, k->res.interface_protocol);
    control(k, 0x00, 9, k->config_value, 0, 0, on_set_configuration);
}

static void on_config_head(struct usb_fake_kernel *k, int status, const uint8_t *d, size_t len)
{
    if (status != 0 || len < 9 || d[1] != 2) {
        finish(k, "cannot read the configuration descriptor (%d)", status);
        return;
    }
    k->config_total = d[2] | d[3] << 8;
    if (k->config_total < 9) {
        finish(k, "configuration descriptor claims %u bytes", k->config_total);
        return;
    }
    control(k, 0x80, 6, 0x0200, 0, k->config_total, on_config_full);
}

static void on_device_descriptor(struct usb_fake_kernel *k, int status, const uint8_t *d,
                                 size_t len)
{
    if (status != 0 || len < 18 || d[1] != 1) {
        finish(k, "cannot read the device descriptor (%d, %zu bytes)", status, len);
        return;
    }
    k->res.device_class = d[4];
    k->res.vendor_id = d[8] | d[9] << 8;
    k->res.product_id = d[10] | d[11] << 8;
    control(k, 0x80, 6, 0x0200, 0, 9, on_config_head);
}

/* --- plumbing --- */

struct usb_fake_kernel *usb_fake_kernel_create(const struct usb_fake_kernel_config *config,
                                               const struct usb_fake_kernel_events *events,
                                               void *user_data)
{
    struct usb_fake_kernel *k = g_new0(struct usb_fake_kernel, 1);
    k->cfg = *config;
    k->cfg.dump_path = g_strdup(config->dump_path);
    k->events = *events;
    k->user_data = user_data;
    k->in = g_byte_array_new();
    k->out = g_byte_array_new();
    k->data = g_byte_array_new();
    return k;
}

void usb_fake_kernel_destroy(struct usb_fake_kernel *k)
{
    if (!k)
        return;
    if (k->dump)
        fclose(k->dump);
    g_free((char *)k->cfg.dump_path);
    g_byte_array_unref(k->in);
    g_byte_array_unref(k->out);
    g_byte_array_unref(k->data);
    g_free(k);
}

void usb_fake_kernel_start(struct usb_fake_kernel *k)
{
    control(k, 0x80, 6, 0x0100, 0, 18, on_device_descriptor);
}

int usb_fake_kernel_input(struct usb_fake_kernel *k, const uint8_t *data, size_t len)
{
    g_byte_array_append(k->in, data, len);
    while (k->in->len >= USBIP_HEADER_SIZE) {
        struct usbip_header h;
        if (usbip_decode(k->in->data, &h) != 0 || h.command != USBIP_RET_SUBMIT || !k->busy ||
            h.seqnum != k->seqnum || usbip_is_iso(&h) ||
            (k->busy_in && h.u.ret_submit.actual_length > k->busy_len)) {
            g_byte_array_set_size(k->in, 0);
            finish(k, "unexpected USB/IP reply from the device side");
            return -EPROTO;
        }
        size_t payload = usbip_ret_payload_length(&h, k->busy_in);
        if (k->in->len < USBIP_HEADER_SIZE + payload)
            break;
        g_autoptr(GByteArray) frame = g_byte_array_new();
        g_byte_array_append(frame, k->in->data + USBIP_HEADER_SIZE, payload);
        g_byte_array_remove_range(k->in, 0, USBIP_HEADER_SIZE + payload);
        k->busy = false;
        if (!k->finished)
            k->done(k, h.u.ret_submit.status, frame->data,
                    k->busy_in ? frame->len : h.u.ret_submit.actual_length);
    }
    return 0;
}

size_t usb_fake_kernel_take(struct usb_fake_kernel *k, uint8_t *buf, size_t max)
{
    size_t n = MIN(max, k->out->len);
    if (n == 0)
        return 0;
    memcpy(buf, k->out->data, n);
    g_byte_array_remove_range(k->out, 0, n);
    return n;
}

const struct usb_fake_kernel_result *usb_fake_kernel_result(const struct usb_fake_kernel *k)
{
    return &k->res;
}
