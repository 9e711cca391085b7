/* usb-fake-kernel: plays the guest kernel's part of USB/IP, for machines
 * without vhci_hcd. Sans I/O like the bridge: USB/IP replies are pushed in,
 * requests are taken out after the output event.
 *
 * It enumerates the device the way Linux does the first steps (device
 * descriptor, configuration descriptor, SET_CONFIGURATION) and then reads
 * through the class: bulk-only mass storage (INQUIRY, TEST UNIT READY with
 * REQUEST SENSE, READ CAPACITY(10), READ(10) of the whole medium, optionally
 * copied into a file), or HID (interrupt IN reports). One request is in
 * flight at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct usb_fake_kernel;

struct usb_fake_kernel_result {
    bool ok;
    char error[128];
    uint16_t vendor_id, product_id;
    uint8_t device_class;
    uint8_t interface_class, interface_subclass, interface_protocol;
    /* mass storage */
    char scsi_vendor[9], scsi_product[17];
    uint32_t block_size;
    uint64_t blocks;
    uint64_t bytes_read;
    double read_seconds;
    /* HID */
    int reports;
    uint8_t last_report[64];
    int last_report_len;
};

struct usb_fake_kernel_config {
    uint32_t devid;
    const char *dump_path;  /* copied; NULL: do not keep what was read */
    uint64_t max_bytes;     /* 0: read the whole medium */
    uint32_t transfer_size; /* bytes per READ(10); 0: 64 KiB */
    int hid_reports;        /* HID: reports to read before finishing */
};

struct usb_fake_kernel_events {
    void (*output)(void *user_data);
    /* Enumeration and class reads are over (see result->ok). */
    void (*finished)(const struct usb_fake_kernel_result *result, void *user_data);
};

struct usb_fake_kernel *usb_fake_kernel_create(const struct usb_fake_kernel_config *config,
                                               const struct usb_fake_kernel_events *events,
                                               void *user_data);
void usb_fake_kernel_destroy(struct usb_fake_kernel *kernel);

/* Sends the first request (GET_DESCRIPTOR). */
void usb_fake_kernel_start(struct usb_fake_kernel *kernel);

/* Replies from the device side. Returns 0, or -EPROTO when the bytes are not
 * a valid reply to what is in flight (the kernel would tear the device down). */
int usb_fake_kernel_input(struct usb_fake_kernel *kernel, const uint8_t *data, size_t len);
size_t usb_fake_kernel_take(struct usb_fake_kernel *kernel, uint8_t *buf, size_t max);

const struct usb_fake_kernel_result *usb_fake_kernel_result(const struct usb_fake_kernel *k);
