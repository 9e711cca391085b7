/* fake-usb-host: the client's side of usbredir for unit tests, built with
 * usbredirparser in usb-host mode. It emulates either a bulk-only mass
 * storage CD (vendor 2b23, product cdcd, SCSI INQUIRY / TEST UNIT READY /
 * REQUEST SENSE / READ CAPACITY(10) / READ(10), 2048-byte blocks of a known
 * pattern) or a HID boot keyboard (interrupt IN 0x81, 8-byte reports). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum fake_host_kind {
    FAKE_HOST_MSC,
    FAKE_HOST_HID,
};

struct fake_host_stats {
    int hello, set_config, get_config, set_alt, get_alt, control, bulk, interrupt_out;
    int start_int, stop_int, cancel, disconnect_ack, filter_reject, filter_rules;
    uint64_t last_cancel_id;
    uint8_t configuration;
    uint8_t last_out[16]; /* data of the last SET_REPORT */
    size_t last_out_len;
};

struct fake_host;

struct fake_host *fake_host_create(enum fake_host_kind kind, uint32_t blocks);
void fake_host_destroy(struct fake_host *host);

void fake_host_input(struct fake_host *host, const uint8_t *data, size_t len);
/* Bytes for the guest side; the caller owns the array. */
GByteArray *fake_host_take(struct fake_host *host);

/* Sends ep_info, interface_info and device_connect. */
void fake_host_plug(struct fake_host *host);
/* Sends device_disconnect. */
void fake_host_unplug(struct fake_host *host);
/* While holding, bulk IN requests are parked instead of answered. A cancel of
 * a parked request answers it with status cancelled unless @cancel_silently. */
void fake_host_hold(struct fake_host *host, bool hold, bool cancel_silently);
/* Answers every parked request with its data (late replies after a cancel). */
void fake_host_release(struct fake_host *host);
/* Pushes one HID report if interrupt receiving was started; returns whether. */
bool fake_host_push_report(struct fake_host *host, const uint8_t report[8]);
/* Sends a raw, possibly malformed, usbredir packet. */
void fake_host_send_raw(struct fake_host *host, const uint8_t *data, size_t len);

const struct fake_host_stats *fake_host_stats(const struct fake_host *host);

/* The content of block @lba of the emulated medium (2048 bytes). */
void fake_host_block(uint32_t lba, uint8_t *buf);

extern const uint8_t fake_host_msc_device_descriptor[18];
