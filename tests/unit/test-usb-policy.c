/* usb-policy: usbredir filter rules against device and interface classes. */
#include <glib.h>
#include <string.h>

#include "usb/usb-policy.h"

static struct usb_device_desc device(uint8_t dev_class, uint8_t if_class, uint16_t vid,
                                     uint16_t pid)
{
    struct usb_device_desc d;
    memset(&d, 0, sizeof(d));
    d.device_class = dev_class;
    d.vendor_id = vid;
    d.product_id = pid;
    d.device_version_bcd = 0x0100;
    d.interface_count = 1;
    d.interface_class[0] = if_class;
    d.interface_subclass[0] = if_class == 8 ? 6 : 1;
    d.interface_protocol[0] = if_class == 8 ? 0x50 : 1;
    return d;
}

static void test_rules(void)
{
    struct usb_device_desc cd = device(0, 8, 0x2b23, 0xcdcd), kbd = device(0, 3, 0x1234, 0x5678);
    g_assert_true(usb_policy_allows(NULL, &cd));
    char *err = NULL;
    struct usb_policy *p = usb_policy_create("", &err);
    g_assert_nonnull(p);
    g_assert_true(usb_policy_allows(p, &cd));
    usb_policy_destroy(p);

    p = usb_policy_create("0x08,-1,-1,-1,0", &err);
    g_assert_nonnull(p);
    g_assert_false(usb_policy_allows(p, &cd));
    g_assert_true(usb_policy_allows(p, &kbd));
    int n;
    g_assert_nonnull(usb_policy_rules(p, &n));
    g_assert_cmpint(n, ==, 1);
    usb_policy_destroy(p);

    /* allow one vendor's keyboard, deny everything else */
    p = usb_policy_create("-1,0x1234,0x5678,-1,1|-1,-1,-1,-1,0", &err);
    g_assert_nonnull(p);
    g_assert_true(usb_policy_allows(p, &kbd));
    g_assert_false(usb_policy_allows(p, &cd));
    usb_policy_destroy(p);

    /* device-level class counts too (class 8 on the device itself) */
    struct usb_device_desc dev8 = device(8, 8, 1, 2);
    p = usb_policy_create("8,-1,-1,-1,0", &err);
    g_assert_false(usb_policy_allows(p, &dev8));
    usb_policy_destroy(p);
}

static void test_bad_rules(void)
{
    static const char *const bad[] = {"8,-1,-1", "x,y,z,w,1", "0x100,-1,-1,-1,0",
                                      "-1,0x10000,-1,-1,1", "8,-1,-1,-1,0,5"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *err = NULL;
        struct usb_policy *p = usb_policy_create(bad[i], &err);
        g_assert_null(p);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err, bad[i]));
        g_free(err);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/usb-policy/rules", test_rules);
    g_test_add_func("/usb-policy/bad-rules", test_bad_rules);
    return g_test_run();
}
