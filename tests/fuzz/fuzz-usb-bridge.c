/* libFuzzer: the bridge's usbredir parser (bytes from the client) and USB/IP
 * parser (bytes from the kernel side). A fake usb-host first plugs a mass
 * storage device and the kernel side has a control, a bulk and an interrupt
 * request in flight, so fuzzed replies reach the URB bookkeeping. The first
 * input byte decides how the rest is split between the two sides. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake-usb-host.h"
#include "usb/usb-bridge.h"
#include "usb/usbip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct usb_bridge *b)
{
    uint8_t buf[65536];
    while (usb_bridge_redir_take(b, buf, sizeof(buf)))
        ;
    while (usb_bridge_usbip_take(b, buf, sizeof(buf)))
        ;
}

static void submit(struct usb_bridge *b, uint32_t seq, uint32_t ep, bool in, uint32_t len,
                   const uint8_t *setup)
{
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = seq;
    h.direction = in;
    h.ep = ep;
    h.u.cmd_submit.transfer_buffer_length = len;
    if (setup)
        memcpy(h.u.cmd_submit.setup, setup, 8);
    uint8_t wire[USBIP_HEADER_SIZE];
    usbip_encode(&h, wire);
    usb_bridge_usbip_input(b, wire, sizeof(wire));
}

static void ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer u)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GByteArray *prelude;
    if (!prelude) {
        g_log_set_default_handler(ignore_log, NULL);
        struct fake_host *h = fake_host_create(FAKE_HOST_MSC, 16);
        fake_host_plug(h);
        prelude = fake_host_take(h);
        fake_host_destroy(h);
    }
    if (size < 1)
        return 0;
    size_t split = (size - 1) * data[0] / 255;
    const struct usb_bridge_events ev = {0};
    struct usb_bridge *b = usb_bridge_create(NULL, &ev, NULL);
    usb_bridge_redir_input(b, prelude->data, prelude->len);
    static const uint8_t get_desc[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    static const uint8_t set_config[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    submit(b, 1, 0, true, 18, get_desc);
    submit(b, 2, 0, false, 0, set_config);
    submit(b, 3, 1, true, 4096, NULL);
    submit(b, 4, 3, true, 8, NULL);
    usb_bridge_redir_input(b, data + 1, split);
    drain(b);
    usb_bridge_usbip_input(b, data + 1 + split, size - 1 - split);
    drain(b);
    usb_bridge_destroy(b);
    return 0;
}
