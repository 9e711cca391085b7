/* usb-policy: which redirected devices may reach the guest kernel.
 *
 * Rules use usbredir's filter syntax, "class,vendor,product,bcd,allow|..."
 * with -1 for any value and numbers in decimal or 0x hex, checked in order
 * against the device class and each interface class (usbredirfilter_check).
 * A device no rule matches is allowed; end with "-1,-1,-1,-1,0" to deny by
 * default. Example: "0x08,-1,-1,-1,0" refuses mass storage. */
#pragma once

#include <stdbool.h>

#include "usb/usb-device.h"

struct usb_policy;
struct usbredirfilter_rule;

/* @rules NULL or empty allows everything. Returns NULL and sets *ret_error
 * (a new string) when @rules does not parse. */
struct usb_policy *usb_policy_create(const char *rules, char **ret_error);
void usb_policy_destroy(struct usb_policy *policy);

/* NULL @policy allows everything. */
bool usb_policy_allows(const struct usb_policy *policy, const struct usb_device_desc *dev);

/* The parsed rules (owned by @policy), for sending to the client. */
const struct usbredirfilter_rule *usb_policy_rules(const struct usb_policy *policy,
                                                   int *ret_count);
