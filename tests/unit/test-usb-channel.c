/* usb-channel on the GLib main loop: client bytes from a fake usb-host go in,
 * the fake attach backend's kernel side reads the whole medium over a real
 * socket pair, and unplug / close detach the device. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tests/unit/fake-usb-host.h"
#include "usb/usb-channel.h"

static GString *logged;

static GLogWriterOutput capture_log(GLogLevelFlags level, const GLogField *fields, gsize n,
                                    gpointer data)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(fields[i].key, "MESSAGE") == 0) {
            g_string_append(logged, fields[i].value);
            g_string_append_c(logged, '\n');
        }
    return G_LOG_WRITER_HANDLED;
}

struct ctx {
    struct usb_channel *ch;
    struct fake_host *host;
    int outputs;
};

static void on_output(void *data)
{
    ((struct ctx *)data)->outputs++;
}

/* Moves client bytes and runs the loop until @needle was logged. */
static bool run_until(struct ctx *c, const char *needle)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        uint8_t buf[65536];
        size_t n;
        while ((n = usb_channel_read(c->ch, buf, sizeof(buf))) > 0)
            fake_host_input(c->host, buf, n);
        g_autoptr(GByteArray) out = fake_host_take(c->host);
        if (out->len)
            usb_channel_write(c->ch, out->data, out->len);
        if (needle && strstr(logged->str, needle))
            return true;
        g_main_context_iteration(NULL, FALSE);
        if (!needle && !out->len && !g_main_context_pending(NULL))
            return true;
    }
    return false;
}

static void test_fake_attach(void)
{
    g_autofree char *dir = g_dir_make_tmp("thindesk-ch-XXXXXX", NULL);
    struct usb_attach_config ac = {.backend = "fake", .fake_dump_dir = dir};
    struct usb_channel_config cc = {.index = 3, .attach = &ac};
    struct ctx c = {0};
    static const struct usb_channel_events ev = {.output = on_output};
    char *err = NULL;
    c.ch = usb_channel_create(&cc, &ev, &c, &err);
    g_assert_nonnull(c.ch);
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "idle");
    c.host = fake_host_create(FAKE_HOST_MSC, 300);

    usb_channel_open(c.ch);
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "open");
    g_assert_true(run_until(&c, NULL));
    g_assert_cmpint(c.outputs, >, 0); /* the hello was announced */
    g_assert_cmpint(fake_host_stats(c.host)->hello, ==, 1);

    fake_host_plug(c.host);
    g_assert_true(run_until(&c, "fake kernel: 2b23:cdcd"));
    g_assert_nonnull(strstr(logged->str, "usb channel 3: device 2b23:cdcd (class 00, first interface 08/06/50, speed 2) attached to the fake kernel side"));
    g_assert_nonnull(strstr(logged->str, "300 blocks of 2048 bytes; read 614400 bytes"));
    g_assert_true(g_str_has_prefix(usb_channel_status(c.ch), "2b23:cdcd on the fake kernel side"));
    g_autofree char *dump = g_build_filename(dir, "usb3-2b23-cdcd-1.img", NULL);
    g_autofree char *got = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(dump, &got, &len, NULL));
    g_assert_cmpuint(len, ==, 300 * 2048);
    for (uint32_t lba = 0; lba < 300; lba += 37) {
        uint8_t want[2048];
        fake_host_block(lba, want);
        g_assert_cmpmem(got + lba * 2048, 2048, want, 2048);
    }

    fake_host_unplug(c.host);
    g_assert_true(run_until(&c, "detached (the client unplugged it)"));
    g_assert_true(run_until(&c, NULL));
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "open");
    g_assert_cmpint(fake_host_stats(c.host)->disconnect_ack, ==, 1);

    /* plug again, then the client closes the channel while attached */
    fake_host_plug(c.host);
    g_assert_true(run_until(&c, "usb3-2b23-cdcd-2.img"));
    usb_channel_close(c.ch);
    g_assert_nonnull(strstr(logged->str, "detached (the client closed the channel)"));
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "idle");

    usb_channel_destroy(c.ch);
    fake_host_destroy(c.host);
    g_autofree char *dump2 = g_build_filename(dir, "usb3-2b23-cdcd-2.img", NULL);
    g_unlink(dump);
    g_unlink(dump2);
    g_rmdir(dir);
}

static void test_policy_refusal_logged(void)
{
    char *err = NULL;
    struct usb_policy *policy = usb_policy_create("0x08,-1,-1,-1,0", &err);
    struct usb_attach_config ac = {.backend = "fake"};
    struct usb_channel_config cc = {.index = 0, .policy = policy, .attach = &ac};
    struct ctx c = {0};
    static const struct usb_channel_events ev = {.output = on_output};
    c.ch = usb_channel_create(&cc, &ev, &c, &err);
    c.host = fake_host_create(FAKE_HOST_MSC, 10);
    usb_channel_open(c.ch);
    g_assert_true(run_until(&c, NULL));
    fake_host_plug(c.host);
    g_assert_true(run_until(&c, "refused by the USB policy"));
    g_assert_true(run_until(&c, NULL));
    g_assert_cmpint(fake_host_stats(c.host)->filter_reject, ==, 1);
    g_assert_cmpint(fake_host_stats(c.host)->filter_rules, ==, 1);
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "open");
    usb_channel_destroy(c.ch);
    fake_host_destroy(c.host);
    usb_policy_destroy(policy);
}

static void test_attach_failure_refuses(void)
{
    struct usb_attach_config ac = {.backend = "vhci", .helper_socket = "/nonexistent/helper"};
    struct usb_channel_config cc = {.index = 1, .attach = &ac};
    struct ctx c = {0};
    static const struct usb_channel_events ev = {.output = on_output};
    char *err = NULL;
    c.ch = usb_channel_create(&cc, &ev, &c, &err);
    c.host = fake_host_create(FAKE_HOST_MSC, 10);
    usb_channel_open(c.ch);
    g_assert_true(run_until(&c, NULL));
    fake_host_plug(c.host);
    g_assert_true(run_until(&c, "usb channel 1: cannot attach device 2b23:cdcd, refusing it: cannot reach thindesk-usb-helper"));
    g_assert_true(run_until(&c, NULL));
    g_assert_cmpint(fake_host_stats(c.host)->filter_reject, ==, 1);
    g_assert_cmpstr(usb_channel_status(c.ch), ==, "open");
    /* the client may try again later */
    fake_host_unplug(c.host);
    fake_host_plug(c.host);
    g_assert_true(run_until(&c, NULL));
    g_assert_cmpint(fake_host_stats(c.host)->filter_reject, ==, 2);
    usb_channel_destroy(c.ch);
    fake_host_destroy(c.host);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    logged = g_string_new(NULL);
    g_log_set_writer_func(capture_log, NULL, NULL);
    /* the attach-failure case warns on purpose; the log is asserted instead */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_test_add_func("/usb-channel/fake-attach", test_fake_attach);
    g_test_add_func("/usb-channel/policy-refusal-logged", test_policy_refusal_logged);
    g_test_add_func("/usb-channel/attach-failure-refuses", test_attach_failure_refuses);
    return g_test_run();
}
