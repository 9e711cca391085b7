/* The "fake" attach backend: the other end of the socket pair is driven by
 * usb-fake-kernel on our own main loop, exactly as vhci_hcd would drive it. */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usb/usb-attach-priv.h"
#include "usb/usb-fake-kernel.h"
#include "usb/usb-link.h"

struct fake {
    int channel;
    char *dump_dir;
    struct usb_link *link;
    struct usb_fake_kernel *kernel;
    unsigned plugs;
};

static void *fake_create(const struct usb_attach_config *config)
{
    struct fake *f = g_new0(struct fake, 1);
    f->channel = config->channel;
    f->dump_dir = g_strdup(config->fake_dump_dir);
    return f;
}

static void fake_unplug(void *priv)
{
    struct fake *f = priv;
    usb_link_destroy(f->link);
    usb_fake_kernel_destroy(f->kernel);
    f->link = NULL;
    f->kernel = NULL;
}

static void fake_destroy(void *priv)
{
    struct fake *f = priv;
    fake_unplug(f);
    g_free(f->dump_dir);
    g_free(f);
}

static void on_kernel_output(void *data)
{
    struct fake *f = data;
    uint8_t buf[65536];
    size_t n;
    while (f->link && (n = usb_fake_kernel_take(f->kernel, buf, sizeof(buf))) > 0)
        usb_link_send(f->link, buf, n);
}

static void on_finished(const struct usb_fake_kernel_result *r, void *data)
{
    struct fake *f = data;
    if (!r->ok) {
        g_message("usb channel %d: fake kernel: %04x:%04x failed: %s", f->channel, r->vendor_id,
                  r->product_id, r->error);
        return;
    }
    if (r->block_size) {
        double mb = r->bytes_read / 1e6;
        g_message("usb channel %d: fake kernel: %04x:%04x interface %02x/%02x/%02x: SCSI '%s' '%s', %" G_GUINT64_FORMAT " blocks of %u bytes; read %" G_GUINT64_FORMAT " bytes in %.3f s (%.1f MB/s)",
                  f->channel, r->vendor_id, r->product_id, r->interface_class,
                  r->interface_subclass, r->interface_protocol, r->scsi_vendor, r->scsi_product,
                  r->blocks, r->block_size, r->bytes_read, r->read_seconds,
                  r->read_seconds > 0 ? mb / r->read_seconds : 0.0);
    } else {
        g_message("usb channel %d: fake kernel: %04x:%04x interface %02x/%02x/%02x enumerated, %d reports read",
                  f->channel, r->vendor_id, r->product_id, r->interface_class,
                  r->interface_subclass, r->interface_protocol, r->reports);
    }
}

static void on_link_input(const uint8_t *data, size_t len, void *user_data)
{
    struct fake *f = user_data;
    if (f->kernel && usb_fake_kernel_input(f->kernel, data, len) < 0)
        g_message("usb channel %d: fake kernel: malformed USB/IP reply", f->channel);
}

static void on_link_closed(void *user_data)
{
    struct fake *f = user_data;
    g_debug("usb channel %d: fake kernel: device side closed", f->channel);
}

static int fake_plug(void *priv, const struct usb_device_desc *dev, int *ret_fd,
                     char **ret_where, char **ret_error)
{
    struct fake *f = priv;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        *ret_error = g_strdup_printf("socketpair: %s", g_strerror(e));
        return -e;
    }
    fake_unplug(f);
    f->plugs++;
    g_autofree char *dump = NULL;
    if (f->dump_dir)
        dump = g_strdup_printf("%s/usb%d-%04x-%04x-%u.img", f->dump_dir, f->channel,
                               dev->vendor_id, dev->product_id, f->plugs);
    struct usb_fake_kernel_config kc = {.devid = (uint32_t)(f->channel + 1) << 16 | f->plugs,
                                        .dump_path = dump};
    static const struct usb_fake_kernel_events kev = {.output = on_kernel_output,
                                                      .finished = on_finished};
    f->kernel = usb_fake_kernel_create(&kc, &kev, f);
    static const struct usb_link_events lev = {.input = on_link_input, .closed = on_link_closed};
    f->link = usb_link_create(sv[1], &lev, f);
    usb_fake_kernel_start(f->kernel);
    *ret_fd = sv[0];
    *ret_where = dump ? g_strdup_printf("the fake kernel side (medium copy: %s)", dump)
                      : g_strdup("the fake kernel side");
    return 0;
}

const struct usb_attach_ops usb_attach_fake_ops = {
    .name = "fake",
    .create = fake_create,
    .destroy = fake_destroy,
    .plug = fake_plug,
    .unplug = fake_unplug,
};
