#include "usb/usb-policy.h"

#include <errno.h>
#include <glib.h>
#include <usbredirfilter.h>

struct usb_policy {
    struct usbredirfilter_rule *rules;
    int count;
};

struct usb_policy *usb_policy_create(const char *rules, char **ret_error)
{
    struct usb_policy *p = g_new0(struct usb_policy, 1);
    if (!rules || !*rules)
        return p;
    int r = usbredirfilter_string_to_rules(rules, ",", "|", &p->rules, &p->count);
    if (r == 0 && usbredirfilter_verify(p->rules, p->count) != 0)
        r = -EINVAL;
    if (r != 0) {
        *ret_error = g_strdup_printf("invalid USB policy '%s': expected rules like 'class,vendor,product,bcd,allow|...' with -1 for any (for example 0x08,-1,-1,-1,0 denies mass storage)", rules);
        usb_policy_destroy(p);
        return NULL;
    }
    return p;
}

void usb_policy_destroy(struct usb_policy *p)
{
    if (!p)
        return;
    usbredirfilter_free(p->rules);
    g_free(p);
}

bool usb_policy_allows(const struct usb_policy *p, const struct usb_device_desc *d)
{
    if (!p || p->count == 0)
        return true;
    uint8_t cls[USB_DEVICE_MAX_INTERFACES], sub[USB_DEVICE_MAX_INTERFACES],
        proto[USB_DEVICE_MAX_INTERFACES];
    int n = CLAMP(d->interface_count, 0, USB_DEVICE_MAX_INTERFACES);
    for (int i = 0; i < n; i++) {
        cls[i] = d->interface_class[i];
        sub[i] = d->interface_subclass[i];
        proto[i] = d->interface_protocol[i];
    }
    int r = usbredirfilter_check(p->rules, p->count, d->device_class, d->device_subclass,
                                 d->device_protocol, cls, sub, proto, n, d->vendor_id,
                                 d->product_id, d->device_version_bcd,
                                 usbredirfilter_fl_default_allow |
                                     usbredirfilter_fl_dont_skip_non_boot_hid);
    return r == 0;
}

const struct usbredirfilter_rule *usb_policy_rules(const struct usb_policy *p, int *ret_count)
{
    *ret_count = p ? p->count : 0;
    return p ? p->rules : NULL;
}
