/* usb-bridge against a fake usb-host (usbredirparser in host mode) on one
 * side and hand-made USB/IP requests on the other: enumeration requests,
 * bulk mass storage, interrupt IN, cancel with a late reply, disconnect in
 * the middle of a transfer, policy refusal and malformed input. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "tests/unit/fake-usb-host.h"
#include "usb/usb-bridge.h"
#include "usb/usbip.h"

struct rig {
    struct usb_bridge *bridge;
    struct fake_host *host;
    struct usb_policy *policy;
    int ready, gone, rejected;
    struct usb_device_desc dev;
    GByteArray *kernel; /* USB/IP bytes the bridge sent to the kernel side */
};

struct ret {
    struct usbip_header h;
    uint8_t data[65536];
    size_t len;
};

static void on_ready(const struct usb_device_desc *dev, void *data)
{
    struct rig *r = data;
    r->ready++;
    r->dev = *dev;
}

static void on_gone(void *data)
{
    ((struct rig *)data)->gone++;
}

static void on_rejected(const struct usb_device_desc *dev, void *data)
{
    ((struct rig *)data)->rejected++;
}

static const struct usb_bridge_events events = {
    .device_ready = on_ready, .device_gone = on_gone, .device_rejected = on_rejected};

/* Moves bytes both ways until both sides are quiet. */
static void pump(struct rig *r)
{
    for (int i = 0; i < 100; i++) {
        bool moved = false;
        uint8_t buf[8192];
        size_t n;
        while ((n = usb_bridge_redir_take(r->bridge, buf, sizeof(buf))) > 0) {
            fake_host_input(r->host, buf, n);
            moved = true;
        }
        g_autoptr(GByteArray) out = fake_host_take(r->host);
        if (out->len) {
            /* feed in odd-sized pieces to exercise partial packets */
            for (guint off = 0; off < out->len; off += 7)
                usb_bridge_redir_input(r->bridge, out->data + off, MIN(7, out->len - off));
            moved = true;
        }
        while ((n = usb_bridge_usbip_take(r->bridge, buf, sizeof(buf))) > 0)
            g_byte_array_append(r->kernel, buf, n);
        if (!moved)
            return;
    }
    g_assert_not_reached();
}

static struct rig *rig_new(enum fake_host_kind kind, const char *policy)
{
    struct rig *r = g_new0(struct rig, 1);
    char *err = NULL;
    r->policy = usb_policy_create(policy, &err);
    g_assert_no_errno(err ? -1 : 0);
    r->host = fake_host_create(kind, 64);
    r->bridge = usb_bridge_create(r->policy, &events, r);
    r->kernel = g_byte_array_new();
    pump(r);
    g_assert_cmpint(fake_host_stats(r->host)->hello, ==, 1);
    fake_host_plug(r->host);
    pump(r);
    return r;
}

static void rig_free(struct rig *r)
{
    usb_bridge_destroy(r->bridge);
    fake_host_destroy(r->host);
    usb_policy_destroy(r->policy);
    g_byte_array_unref(r->kernel);
    g_free(r);
}

static void submit(struct rig *r, uint32_t seq, uint32_t ep, bool in, uint32_t len,
                   const uint8_t *setup, const uint8_t *out)
{
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = seq;
    h.devid = 0x10002;
    h.direction = in ? USBIP_DIR_IN : USBIP_DIR_OUT;
    h.ep = ep;
    h.u.cmd_submit.transfer_buffer_length = len;
    h.u.cmd_submit.number_of_packets = 0;
    if (setup)
        memcpy(h.u.cmd_submit.setup, setup, 8);
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(&h, wire);
    g_assert_cmpint(usb_bridge_usbip_input(r->bridge, wire, sizeof(wire)), ==, 0);
    if (!in && len)
        g_assert_cmpint(usb_bridge_usbip_input(r->bridge, out, len), ==, 0);
    pump(r);
}

static void unlink_req(struct rig *r, uint32_t seq, uint32_t victim)
{
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_UNLINK;
    h.seqnum = seq;
    h.u.cmd_unlink.seqnum = victim;
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(&h, wire);
    g_assert_cmpint(usb_bridge_usbip_input(r->bridge, wire, sizeof(wire)), ==, 0);
    pump(r);
}

/* Pops the next reply the kernel side got; @in says whether data follows. */
static bool next_reply(struct rig *r, struct ret *ret, bool in)
{
    if (r->kernel->len < USBIP_HEADER_SIZE)
        return false;
    g_assert_cmpint(usbip_decode(r->kernel->data, &ret->h), ==, 0);
    ret->len = usbip_ret_payload_length(&ret->h, in);
    g_assert_cmpuint(r->kernel->len, >=, USBIP_HEADER_SIZE + ret->len);
    memcpy(ret->data, r->kernel->data + USBIP_HEADER_SIZE, ret->len);
    g_byte_array_remove_range(r->kernel, 0, USBIP_HEADER_SIZE + ret->len);
    g_assert_cmpuint(ret->h.devid, ==, 0);
    g_assert_cmpuint(ret->h.direction, ==, 0);
    g_assert_cmpuint(ret->h.ep, ==, 0);
    return true;
}

static void expect_submit(struct rig *r, struct ret *ret, uint32_t seq, int status, bool in)
{
    g_assert_true(next_reply(r, ret, in));
    g_assert_cmpuint(ret->h.command, ==, USBIP_RET_SUBMIT);
    g_assert_cmpuint(ret->h.seqnum, ==, seq);
    g_assert_cmpint(ret->h.u.ret_submit.status, ==, status);
}

static const uint8_t get_device_desc[8] = {0x80, 6, 0, 1, 0, 0, 64, 0};
static const uint8_t set_config1[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};

static void configure(struct rig *r, struct ret *ret)
{
    submit(r, 100, 0, false, 0, set_config1, NULL);
    expect_submit(r, ret, 100, 0, false);
}

static void test_enumeration_requests(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    g_assert_cmpint(r->ready, ==, 1);
    g_assert_cmpuint(r->dev.vendor_id, ==, 0x2b23);
    g_assert_cmpuint(r->dev.product_id, ==, 0xcdcd);
    g_assert_cmpuint(r->dev.speed, ==, 2);
    g_assert_cmpint(r->dev.interface_count, ==, 1);
    g_assert_cmpuint(r->dev.interface_class[0], ==, 8);

    /* GET_DESCRIPTOR(device) asking 64 bytes gets the 18 of the device */
    submit(r, 1, 0, true, 64, get_device_desc, NULL);
    expect_submit(r, &ret, 1, 0, true);
    g_assert_cmpuint(ret.h.u.ret_submit.actual_length, ==, 18);
    g_assert_cmpmem(ret.data, ret.len, fake_host_msc_device_descriptor, 18);
    /* asking fewer bytes than the descriptor has: clamped, no error */
    static const uint8_t get8[8] = {0x80, 6, 0, 1, 0, 0, 8, 0};
    submit(r, 2, 0, true, 8, get8, NULL);
    expect_submit(r, &ret, 2, 0, true);
    g_assert_cmpmem(ret.data, ret.len, fake_host_msc_device_descriptor, 8);
    g_assert_cmpint(fake_host_stats(r->host)->control, ==, 2);

    /* SET_ADDRESS never reaches the client */
    static const uint8_t set_address[8] = {0x00, 5, 3, 0, 0, 0, 0, 0};
    submit(r, 3, 0, false, 0, set_address, NULL);
    expect_submit(r, &ret, 3, 0, false);
    g_assert_cmpint(fake_host_stats(r->host)->control, ==, 2);

    /* SET/GET_CONFIGURATION and SET/GET_INTERFACE become their own packets */
    submit(r, 4, 0, false, 0, set_config1, NULL);
    expect_submit(r, &ret, 4, 0, false);
    g_assert_cmpint(fake_host_stats(r->host)->set_config, ==, 1);
    static const uint8_t get_config[8] = {0x80, 8, 0, 0, 0, 0, 1, 0};
    submit(r, 5, 0, true, 1, get_config, NULL);
    expect_submit(r, &ret, 5, 0, true);
    g_assert_cmpuint(ret.len, ==, 1);
    g_assert_cmpuint(ret.data[0], ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->get_config, ==, 1);
    static const uint8_t set_iface[8] = {0x01, 11, 0, 0, 0, 0, 0, 0};
    submit(r, 6, 0, false, 0, set_iface, NULL);
    expect_submit(r, &ret, 6, 0, false);
    static const uint8_t get_iface[8] = {0x81, 10, 0, 0, 0, 0, 1, 0};
    submit(r, 7, 0, true, 1, get_iface, NULL);
    expect_submit(r, &ret, 7, 0, true);
    g_assert_cmpuint(ret.data[0], ==, 0);
    g_assert_cmpint(fake_host_stats(r->host)->set_alt, ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->get_alt, ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->control, ==, 2);

    /* a stall maps to -EPIPE: configuration 7 does not exist */
    static const uint8_t set_config7[8] = {0x00, 9, 7, 0, 0, 0, 0, 0};
    submit(r, 8, 0, false, 0, set_config7, NULL);
    expect_submit(r, &ret, 8, -EPIPE, false);
    static const uint8_t get_bogus[8] = {0x80, 6, 0, 9, 0, 0, 9, 0};
    submit(r, 9, 0, true, 9, get_bogus, NULL);
    expect_submit(r, &ret, 9, -EPIPE, true);
    g_assert_cmpuint(ret.len, ==, 0);

    g_assert_false(next_reply(r, &ret, false));
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 0);
    rig_free(r);
}

static void make_cbw(uint8_t *cbw, uint32_t tag, uint32_t len, bool in, const uint8_t *cb,
                     int cb_len)
{
    memset(cbw, 0, 31);
    memcpy(cbw, "USBC", 4);
    memcpy(cbw + 4, &tag, 4);
    memcpy(cbw + 8, &len, 4);
    cbw[12] = in ? 0x80 : 0;
    cbw[14] = cb_len;
    memcpy(cbw + 15, cb, cb_len);
}

static void test_bulk_mass_storage(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    configure(r, &ret);

    /* READ(10) of 3 blocks at LBA 5: CBW out, 6144 bytes in, CSW in */
    uint8_t cbw[31];
    static const uint8_t read10[10] = {0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0};
    make_cbw(cbw, 0x1234, 3 * 2048, true, read10, 10);
    submit(r, 10, 2, false, 31, NULL, cbw);
    expect_submit(r, &ret, 10, 0, false);
    g_assert_cmpuint(ret.h.u.ret_submit.actual_length, ==, 31);
    submit(r, 11, 1, true, 3 * 2048, NULL, NULL);
    expect_submit(r, &ret, 11, 0, true);
    g_assert_cmpuint(ret.len, ==, 3 * 2048);
    for (int i = 0; i < 3; i++) {
        uint8_t want[2048];
        fake_host_block(5 + i, want);
        g_assert_cmpmem(ret.data + i * 2048, 2048, want, 2048);
    }
    submit(r, 12, 1, true, 13, NULL, NULL);
    expect_submit(r, &ret, 12, 0, true);
    g_assert_cmpuint(ret.len, ==, 13);
    g_assert_cmpmem(ret.data, 4, "USBS", 4);
    g_assert_cmpuint(ret.data[12], ==, 0);
    g_assert_cmpint(fake_host_stats(r->host)->bulk, ==, 3);

    /* a transfer above 64 KiB uses the high length bits */
    static const uint8_t read40[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 40, 0};
    make_cbw(cbw, 0x1235, 40 * 2048, true, read40, 10);
    submit(r, 13, 2, false, 31, NULL, cbw);
    expect_submit(r, &ret, 13, 0, false);
    submit(r, 14, 1, true, 40 * 2048, NULL, NULL);
    struct ret *big = g_new(struct ret, 1);
    g_assert_true(r->kernel->len >= USBIP_HEADER_SIZE);
    struct usbip_header h;
    g_assert_cmpint(usbip_decode(r->kernel->data, &h), ==, 0);
    g_assert_cmpint(h.u.ret_submit.status, ==, 0);
    g_assert_cmpuint(h.u.ret_submit.actual_length, ==, 40 * 2048);
    uint8_t want[2048];
    fake_host_block(39, want);
    g_assert_cmpmem(r->kernel->data + USBIP_HEADER_SIZE + 39 * 2048, 2048, want, 2048);
    g_byte_array_remove_range(r->kernel, 0, USBIP_HEADER_SIZE + 40 * 2048);
    submit(r, 15, 1, true, 13, NULL, NULL);
    expect_submit(r, &ret, 15, 0, true);
    g_free(big);

    /* an endpoint the device does not have: -EPIPE without asking the client */
    int bulk = fake_host_stats(r->host)->bulk;
    submit(r, 16, 5, true, 512, NULL, NULL);
    expect_submit(r, &ret, 16, -EPIPE, true);
    g_assert_cmpint(fake_host_stats(r->host)->bulk, ==, bulk);
    rig_free(r);
}

static void test_interrupt_in(void)
{
    struct rig *r = rig_new(FAKE_HOST_HID, NULL);
    struct ret ret;
    configure(r, &ret);
    static const uint8_t rep1[8] = {0, 0, 4, 0, 0, 0, 0, 0}, rep2[8] = {2, 0, 5, 0, 0, 0, 0, 0},
                         rep3[8] = {0, 0, 0, 0, 0, 0, 0, 0};

    /* two URBs queued, interrupt receiving started once */
    submit(r, 20, 1, true, 8, NULL, NULL);
    submit(r, 21, 1, true, 8, NULL, NULL);
    g_assert_cmpint(fake_host_stats(r->host)->start_int, ==, 1);
    g_assert_false(next_reply(r, &ret, true));
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 2);

    g_assert_true(fake_host_push_report(r->host, rep1));
    pump(r);
    expect_submit(r, &ret, 20, 0, true);
    g_assert_cmpmem(ret.data, ret.len, rep1, 8);
    g_assert_true(fake_host_push_report(r->host, rep2));
    pump(r);
    expect_submit(r, &ret, 21, 0, true);
    g_assert_cmpmem(ret.data, ret.len, rep2, 8);

    /* a report nobody asked for yet waits for the next URB */
    g_assert_true(fake_host_push_report(r->host, rep3));
    pump(r);
    g_assert_false(next_reply(r, &ret, true));
    submit(r, 22, 1, true, 8, NULL, NULL);
    expect_submit(r, &ret, 22, 0, true);
    g_assert_cmpmem(ret.data, ret.len, rep3, 8);
    g_assert_cmpint(fake_host_stats(r->host)->start_int, ==, 1);

    /* unlinking a queued interrupt URB answers at once; the next report goes
     * to the next URB */
    submit(r, 23, 1, true, 8, NULL, NULL);
    unlink_req(r, 24, 23);
    g_assert_true(next_reply(r, &ret, false));
    g_assert_cmpuint(ret.h.command, ==, USBIP_RET_UNLINK);
    g_assert_cmpuint(ret.h.seqnum, ==, 24);
    g_assert_cmpint(ret.h.u.ret_unlink.status, ==, -ECONNRESET);
    submit(r, 25, 1, true, 8, NULL, NULL);
    g_assert_true(fake_host_push_report(r->host, rep1));
    pump(r);
    expect_submit(r, &ret, 25, 0, true);
    g_assert_false(next_reply(r, &ret, true));

    /* a control OUT with data (SET_REPORT: keyboard LEDs) carries its data */
    static const uint8_t set_report[8] = {0x21, 9, 0, 2, 0, 0, 1, 0};
    static const uint8_t leds = 0x02;
    submit(r, 26, 0, false, 1, set_report, &leds);
    expect_submit(r, &ret, 26, 0, false);
    g_assert_cmpuint(ret.h.u.ret_submit.actual_length, ==, 1);
    g_assert_cmpuint(ret.len, ==, 0);
    g_assert_cmpmem(fake_host_stats(r->host)->last_out, fake_host_stats(r->host)->last_out_len,
                    &leds, 1);
    rig_free(r);
}

static void cancel_case(bool late_data)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    configure(r, &ret);
    uint8_t cbw[31];
    static const uint8_t read1[10] = {0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    make_cbw(cbw, 7, 2048, true, read1, 10);
    submit(r, 30, 2, false, 31, NULL, cbw);
    expect_submit(r, &ret, 30, 0, false);

    fake_host_hold(r->host, true, late_data);
    submit(r, 31, 1, true, 2048, NULL, NULL);
    g_assert_false(next_reply(r, &ret, true));
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 1);

    unlink_req(r, 32, 31);
    /* answered at once with -ECONNRESET; the client was told to cancel */
    g_assert_true(next_reply(r, &ret, false));
    g_assert_cmpuint(ret.h.command, ==, USBIP_RET_UNLINK);
    g_assert_cmpuint(ret.h.seqnum, ==, 32);
    g_assert_cmpint(ret.h.u.ret_unlink.status, ==, -ECONNRESET);
    g_assert_cmpint(fake_host_stats(r->host)->cancel, ==, 1);
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 0);

    /* the late reply (cancelled status, or the data itself) is dropped */
    fake_host_hold(r->host, false, false);
    fake_host_release(r->host);
    pump(r);
    g_assert_false(next_reply(r, &ret, true));

    /* unlinking something already completed: RET_UNLINK(0) */
    unlink_req(r, 33, 30);
    g_assert_true(next_reply(r, &ret, false));
    g_assert_cmpuint(ret.h.command, ==, USBIP_RET_UNLINK);
    g_assert_cmpuint(ret.h.seqnum, ==, 33);
    g_assert_cmpint(ret.h.u.ret_unlink.status, ==, 0);

    /* the device keeps working afterwards */
    submit(r, 34, 0, true, 18, get_device_desc, NULL);
    expect_submit(r, &ret, 34, 0, true);
    g_assert_false(next_reply(r, &ret, true));
    rig_free(r);
}

static void test_cancel_late_cancelled(void)
{
    cancel_case(false);
}

static void test_cancel_late_data(void)
{
    cancel_case(true);
}

static void test_disconnect_mid_transfer(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    configure(r, &ret);
    fake_host_hold(r->host, true, true);
    submit(r, 40, 1, true, 2048, NULL, NULL);
    submit(r, 41, 1, true, 13, NULL, NULL);
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 2);

    fake_host_unplug(r->host);
    pump(r);
    /* each URB completed once with -ENODEV, the device is gone, acked */
    expect_submit(r, &ret, 40, -ENODEV, true);
    expect_submit(r, &ret, 41, -ENODEV, true);
    g_assert_false(next_reply(r, &ret, true));
    g_assert_cmpint(r->gone, ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->disconnect_ack, ==, 1);
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 0);

    /* late replies for the vanished device are dropped; new requests fail */
    fake_host_release(r->host);
    pump(r);
    g_assert_false(next_reply(r, &ret, true));
    submit(r, 42, 0, true, 18, get_device_desc, NULL);
    expect_submit(r, &ret, 42, -ENODEV, true);

    /* plugging again gives a fresh device */
    fake_host_plug(r->host);
    pump(r);
    g_assert_cmpint(r->ready, ==, 2);
    submit(r, 43, 0, true, 18, get_device_desc, NULL);
    expect_submit(r, &ret, 43, 0, true);
    rig_free(r);
}

static void test_kernel_side_reset(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    configure(r, &ret);
    fake_host_hold(r->host, true, true);
    submit(r, 50, 1, true, 2048, NULL, NULL);
    usb_bridge_usbip_reset(r->bridge);
    pump(r);
    g_assert_cmpint(fake_host_stats(r->host)->cancel, ==, 1);
    g_assert_cmpuint(usb_bridge_inflight(r->bridge), ==, 0);
    fake_host_release(r->host);
    pump(r);
    g_assert_false(next_reply(r, &ret, true));
    rig_free(r);
}

static void test_policy_rejects(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, "0x08,-1,-1,-1,0");
    g_assert_cmpint(fake_host_stats(r->host)->filter_rules, ==, 1);
    g_assert_cmpint(r->ready, ==, 0);
    g_assert_cmpint(r->rejected, ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->filter_reject, ==, 1);
    struct ret ret;
    submit(r, 60, 0, true, 18, get_device_desc, NULL);
    expect_submit(r, &ret, 60, -ENODEV, true);
    rig_free(r);

    r = rig_new(FAKE_HOST_HID, "0x08,-1,-1,-1,0");
    g_assert_cmpint(r->ready, ==, 1);
    g_assert_cmpint(fake_host_stats(r->host)->filter_reject, ==, 0);
    rig_free(r);
}

static void test_malformed(void)
{
    struct rig *r = rig_new(FAKE_HOST_MSC, NULL);
    struct ret ret;
    configure(r, &ret);

    /* usbredir garbage: unknown type, absurd length, short packets */
    static const uint8_t junk1[16] = {0xee, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    fake_host_send_raw(r->host, junk1, sizeof(junk1));
    fake_host_send_raw(r->host, (const uint8_t *)"abcd", 4);
    /* a bulk reply for an id nobody used */
    static const uint8_t bulk_unknown[16 + 10] = {101, 0, 0, 0, 10, 0, 0, 0, 0x99, 0x99};
    fake_host_send_raw(r->host, bulk_unknown, sizeof(bulk_unknown));
    pump(r);
    g_assert_false(next_reply(r, &ret, true));

    /* a RET_SUBMIT is not a request: the kernel side is broken */
    struct usbip_header h;
    usbip_ret_submit(&h, 1, 0, 0);
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(&h, wire);
    g_assert_cmpint(usb_bridge_usbip_input(r->bridge, wire, sizeof(wire)), ==, -EPROTO);
    memset(wire, 0xff, sizeof(wire));
    g_assert_cmpint(usb_bridge_usbip_input(r->bridge, wire, sizeof(wire)), ==, -EPROTO);

    /* iso is refused with -EPROTO, its descriptors skipped */
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = 70;
    h.direction = USBIP_DIR_IN;
    h.ep = 1;
    h.u.cmd_submit.transfer_buffer_length = 100;
    h.u.cmd_submit.number_of_packets = 2;
    uint8_t iso[USBIP_HEADER_SIZE + 32] = {0};
    usbip_encode(&h, iso);
    g_assert_cmpint(usb_bridge_usbip_input(r->bridge, iso, sizeof(iso)), ==, 0);
    pump(r);
    expect_submit(r, &ret, 70, -EPROTO, true);
    submit(r, 71, 0, true, 18, get_device_desc, NULL);
    expect_submit(r, &ret, 71, 0, true);
    rig_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/usb-bridge/enumeration-requests", test_enumeration_requests);
    g_test_add_func("/usb-bridge/bulk-mass-storage", test_bulk_mass_storage);
    g_test_add_func("/usb-bridge/interrupt-in", test_interrupt_in);
    g_test_add_func("/usb-bridge/cancel-late-cancelled", test_cancel_late_cancelled);
    g_test_add_func("/usb-bridge/cancel-late-data", test_cancel_late_data);
    g_test_add_func("/usb-bridge/disconnect-mid-transfer", test_disconnect_mid_transfer);
    g_test_add_func("/usb-bridge/kernel-side-reset", test_kernel_side_reset);
    g_test_add_func("/usb-bridge/policy-rejects", test_policy_rejects);
    g_test_add_func("/usb-bridge/malformed", test_malformed);
    return g_test_run();
}
