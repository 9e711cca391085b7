/* USB/IP codec: round trips, the exact byte layout, malformed headers. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "usb/usbip.h"

static void test_cmd_submit_layout(void)
{
    /* A GET_DESCRIPTOR(device) as the kernel sends it. */
    static const uint8_t wire[48] = {
        0, 0, 0, 1,  0, 0, 0, 5,  0, 1, 0, 2,  0, 0, 0, 1,  0, 0, 0, 0,
        0, 0, 2, 0,  0, 0, 0, 0x12,  0, 0, 0, 0,  0xff, 0xff, 0xff, 0xff,  0, 0, 0, 0,
        0x80, 6, 0, 1, 0, 0, 0x12, 0};
    struct usbip_header h;
    g_assert_cmpint(usbip_decode(wire, &h), ==, 0);
    g_assert_cmpuint(h.command, ==, USBIP_CMD_SUBMIT);
    g_assert_cmpuint(h.seqnum, ==, 5);
    g_assert_cmpuint(h.devid, ==, 0x10002);
    g_assert_cmpuint(h.direction, ==, USBIP_DIR_IN);
    g_assert_cmpuint(h.ep, ==, 0);
    g_assert_cmpuint(h.u.cmd_submit.transfer_flags, ==, 0x200);
    g_assert_cmpuint(h.u.cmd_submit.transfer_buffer_length, ==, 18);
    g_assert_cmpuint(h.u.cmd_submit.number_of_packets, ==, USBIP_NOT_ISO);
    g_assert_false(usbip_is_iso(&h));
    g_assert_cmpmem(h.u.cmd_submit.setup, 8, wire + 40, 8);
    g_assert_cmpuint(usbip_cmd_payload_length(&h), ==, 0);

    uint8_t out[48];
    usbip_encode(&h, out);
    g_assert_cmpmem(out, 48, wire, 48);
}

static void test_round_trips(void)
{
    struct usbip_header hs[4];
    memset(hs, 0, sizeof(hs));
    hs[0].command = USBIP_CMD_SUBMIT;
    hs[0].seqnum = 0xdeadbeef;
    hs[0].direction = USBIP_DIR_OUT;
    hs[0].ep = 2;
    hs[0].u.cmd_submit.transfer_buffer_length = 31;
    hs[0].u.cmd_submit.interval = 7;
    memcpy(hs[0].u.cmd_submit.setup, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    usbip_ret_submit(&hs[1], 77, -32, 13);
    hs[2].command = USBIP_CMD_UNLINK;
    hs[2].seqnum = 9;
    hs[2].direction = 1;
    hs[2].ep = 1;
    hs[2].u.cmd_unlink.seqnum = 8;
    usbip_ret_unlink(&hs[3], 9, -104);
    for (int i = 0; i < 4; i++) {
        uint8_t wire[48];
        struct usbip_header back;
        usbip_encode(&hs[i], wire);
        g_assert_cmpint(usbip_decode(wire, &back), ==, 0);
        g_assert_cmpmem(&back, sizeof(back), &hs[i], sizeof(hs[i]));
    }
    g_assert_cmpuint(usbip_cmd_payload_length(&hs[0]), ==, 31);
    g_assert_cmpuint(usbip_ret_payload_length(&hs[1], true), ==, 13);
    g_assert_cmpuint(usbip_ret_payload_length(&hs[1], false), ==, 0);
    g_assert_cmpint(hs[1].u.ret_submit.status, ==, -32);

    /* Replies carry zero devid, direction and ep; unlink status is signed. */
    uint8_t wire[48];
    usbip_encode(&hs[3], wire);
    static const uint8_t want[48] = {0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0xff, 0xff, 0xff, 0x98};
    g_assert_cmpmem(wire, 48, want, 48);
}

static void test_iso_framing(void)
{
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.direction = USBIP_DIR_OUT;
    h.u.cmd_submit.transfer_buffer_length = 100;
    h.u.cmd_submit.number_of_packets = 3;
    g_assert_true(usbip_is_iso(&h));
    g_assert_cmpuint(usbip_cmd_payload_length(&h), ==, 100 + 3 * 16);
    h.direction = USBIP_DIR_IN;
    g_assert_cmpuint(usbip_cmd_payload_length(&h), ==, 3 * 16);
    h.u.cmd_submit.number_of_packets = 0; /* what Linux sends for non-iso */
    g_assert_false(usbip_is_iso(&h));
}

static void expect_invalid(const uint8_t *wire)
{
    struct usbip_header h;
    memset(&h, 0xa5, sizeof(h));
    struct usbip_header before = h;
    g_assert_cmpint(usbip_decode(wire, &h), ==, -EINVAL);
    g_assert_cmpmem(&h, sizeof(h), &before, sizeof(before)); /* untouched */
}

static void test_malformed(void)
{
    uint8_t wire[48];
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.u.cmd_submit.number_of_packets = USBIP_NOT_ISO;

    /* unknown commands */
    for (uint32_t cmd = 0; cmd < 8; cmd++) {
        if (cmd >= 1 && cmd <= 4)
            continue;
        usbip_encode(&h, wire);
        wire[3] = cmd;
        expect_invalid(wire);
    }
    usbip_encode(&h, wire);
    wire[0] = 0x80; /* 0x80000001 */
    expect_invalid(wire);
    /* direction 2 */
    usbip_encode(&h, wire);
    wire[15] = 2;
    expect_invalid(wire);
    /* endpoint 16 */
    usbip_encode(&h, wire);
    wire[19] = 16;
    expect_invalid(wire);
    /* transfer longer than the cap, and a "negative" length */
    h.u.cmd_submit.transfer_buffer_length = USBIP_MAX_TRANSFER + 1;
    usbip_encode(&h, wire);
    expect_invalid(wire);
    h.u.cmd_submit.transfer_buffer_length = 0xffffffff;
    usbip_encode(&h, wire);
    expect_invalid(wire);
    h.u.cmd_submit.transfer_buffer_length = USBIP_MAX_TRANSFER;
    usbip_encode(&h, wire);
    g_assert_cmpint(usbip_decode(wire, &h), ==, 0);
    /* too many iso packets */
    h.u.cmd_submit.number_of_packets = USBIP_MAX_ISO_PACKETS + 1;
    usbip_encode(&h, wire);
    expect_invalid(wire);
    /* RET_SUBMIT with an oversized actual length */
    usbip_ret_submit(&h, 1, 0, USBIP_MAX_TRANSFER + 1);
    usbip_encode(&h, wire);
    expect_invalid(wire);
    /* CMD_UNLINK with a bad endpoint */
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_UNLINK;
    usbip_encode(&h, wire);
    wire[19] = 0xff;
    expect_invalid(wire);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/usbip/cmd-submit-layout", test_cmd_submit_layout);
    g_test_add_func("/usbip/round-trips", test_round_trips);
    g_test_add_func("/usbip/iso-framing", test_iso_framing);
    g_test_add_func("/usbip/malformed", test_malformed);
    return g_test_run();
}
