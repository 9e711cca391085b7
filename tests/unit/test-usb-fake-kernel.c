/* usb-fake-kernel driving a usb-bridge that talks to a fake usb-host: the
 * whole chain a redirected device takes, without spice or vhci. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tests/unit/fake-usb-host.h"
#include "usb/usb-bridge.h"
#include "usb/usb-fake-kernel.h"
#include "usb/usbip.h"

struct chain {
    struct fake_host *host;
    struct usb_bridge *bridge;
    struct usb_fake_kernel *kernel;
    struct usb_fake_kernel_config cfg;
    int finished;
};

static void on_ready(const struct usb_device_desc *dev, void *data)
{
    struct chain *c = data;
    c->kernel = usb_fake_kernel_create(&c->cfg, &(struct usb_fake_kernel_events){0}, c);
    usb_fake_kernel_start(c->kernel);
}

static void pump(struct chain *c)
{
    for (int i = 0; i < 100000; i++) {
        bool moved = false;
        uint8_t buf[65536];
        size_t n;
        while ((n = usb_bridge_redir_take(c->bridge, buf, sizeof(buf))) > 0) {
            fake_host_input(c->host, buf, n);
            moved = true;
        }
        g_autoptr(GByteArray) out = fake_host_take(c->host);
        if (out->len) {
            usb_bridge_redir_input(c->bridge, out->data, out->len);
            moved = true;
        }
        while (c->kernel && (n = usb_fake_kernel_take(c->kernel, buf, sizeof(buf))) > 0) {
            g_assert_cmpint(usb_bridge_usbip_input(c->bridge, buf, n), ==, 0);
            moved = true;
        }
        while ((n = usb_bridge_usbip_take(c->bridge, buf, sizeof(buf))) > 0) {
            g_assert_nonnull(c->kernel);
            g_assert_cmpint(usb_fake_kernel_input(c->kernel, buf, n), ==, 0);
            moved = true;
        }
        if (!moved)
            return;
    }
    g_assert_not_reached();
}

static struct chain *chain_new(enum fake_host_kind kind, uint32_t blocks,
                               const struct usb_fake_kernel_config *cfg)
{
    struct chain *c = g_new0(struct chain, 1);
    c->cfg = *cfg;
    c->host = fake_host_create(kind, blocks);
    static const struct usb_bridge_events ev = {.device_ready = on_ready};
    c->bridge = usb_bridge_create(NULL, &ev, c);
    pump(c);
    fake_host_plug(c->host);
    pump(c);
    return c;
}

static void chain_free(struct chain *c)
{
    usb_fake_kernel_destroy(c->kernel);
    usb_bridge_destroy(c->bridge);
    fake_host_destroy(c->host);
    g_free(c);
}

static void test_mass_storage(void)
{
    g_autofree char *dir = g_dir_make_tmp("thindesk-fk-XXXXXX", NULL);
    g_autofree char *dump = g_build_filename(dir, "medium", NULL);
    struct usb_fake_kernel_config cfg = {.devid = 0x10002, .dump_path = dump,
                                         .transfer_size = 20 * 2048};
    struct chain *c = chain_new(FAKE_HOST_MSC, 100, &cfg);
    const struct usb_fake_kernel_result *r = usb_fake_kernel_result(c->kernel);
    if (!r->ok)
        g_test_message("error: %s", r->error);
    g_assert_true(r->ok);
    g_assert_cmphex(r->vendor_id, ==, 0x2b23);
    g_assert_cmphex(r->product_id, ==, 0xcdcd);
    g_assert_cmphex(r->interface_class, ==, 0x08);
    g_assert_cmphex(r->interface_subclass, ==, 0x06);
    g_assert_cmphex(r->interface_protocol, ==, 0x50);
    g_assert_cmpstr(r->scsi_vendor, ==, "THINDESK");
    g_assert_cmpstr(r->scsi_product, ==, "FAKE CDROM");
    g_assert_cmpuint(r->block_size, ==, 2048);
    g_assert_cmpuint(r->blocks, ==, 100);
    g_assert_cmpuint(r->bytes_read, ==, 100 * 2048);
    g_assert_cmpint(fake_host_stats(c->host)->set_config, ==, 1);
    g_assert_cmpuint(usb_bridge_inflight(c->bridge), ==, 0);

    g_autofree char *got = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(dump, &got, &len, NULL));
    g_assert_cmpuint(len, ==, 100 * 2048);
    for (uint32_t lba = 0; lba < 100; lba++) {
        uint8_t want[2048];
        fake_host_block(lba, want);
        g_assert_cmpmem(got + lba * 2048, 2048, want, 2048);
    }
    chain_free(c);
    g_unlink(dump);
    g_rmdir(dir);
}

static void test_hid_reports(void)
{
    struct usb_fake_kernel_config cfg = {.devid = 1, .hid_reports = 2};
    struct chain *c = chain_new(FAKE_HOST_HID, 0, &cfg);
    const struct usb_fake_kernel_result *r = usb_fake_kernel_result(c->kernel);
    g_assert_false(r->ok); /* waiting for reports */
    g_assert_cmphex(r->interface_class, ==, 0x03);
    g_assert_cmpint(fake_host_stats(c->host)->start_int, ==, 1);
    static const uint8_t a[8] = {0, 0, 4}, b[8] = {2, 0, 5};
    g_assert_true(fake_host_push_report(c->host, a));
    pump(c);
    g_assert_cmpint(r->reports, ==, 1);
    g_assert_true(fake_host_push_report(c->host, b));
    pump(c);
    g_assert_true(r->ok);
    g_assert_cmpint(r->reports, ==, 2);
    g_assert_cmpmem(r->last_report, r->last_report_len, b, 8);
    chain_free(c);
}

static void test_bad_replies(void)
{
    struct usb_fake_kernel_config cfg = {.devid = 1};
    struct usb_fake_kernel *k =
        usb_fake_kernel_create(&cfg, &(struct usb_fake_kernel_events){0}, NULL);
    usb_fake_kernel_start(k);
    uint8_t buf[256];
    g_assert_cmpuint(usb_fake_kernel_take(k, buf, sizeof(buf)), ==, USBIP_HEADER_SIZE);
    /* a reply for a seqnum never sent */
    struct usbip_header h;
    usbip_ret_submit(&h, 99, 0, 0);
    usbip_encode(&h, buf);
    g_assert_cmpint(usb_fake_kernel_input(k, buf, USBIP_HEADER_SIZE), ==, -EPROTO);
    g_assert_false(usb_fake_kernel_result(k)->ok);
    g_assert_nonnull(strstr(usb_fake_kernel_result(k)->error, "unexpected"));
    usb_fake_kernel_destroy(k);

    /* more IN data than asked for */
    k = usb_fake_kernel_create(&cfg, &(struct usb_fake_kernel_events){0}, NULL);
    usb_fake_kernel_start(k);
    usb_fake_kernel_take(k, buf, sizeof(buf));
    usbip_ret_submit(&h, 1, 0, 64);
    usbip_encode(&h, buf);
    g_assert_cmpint(usb_fake_kernel_input(k, buf, USBIP_HEADER_SIZE), ==, -EPROTO);
    usb_fake_kernel_destroy(k);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/usb-fake-kernel/mass-storage", test_mass_storage);
    g_test_add_func("/usb-fake-kernel/hid-reports", test_hid_reports);
    g_test_add_func("/usb-fake-kernel/bad-replies", test_bad_replies);
    return g_test_run();
}
