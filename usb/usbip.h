/* usbip: the USB/IP wire format spoken on a vhci_hcd socket.
 *
 * Every PDU starts with a 48-byte big-endian header; CMD_SUBMIT carries OUT
 * data after it, RET_SUBMIT carries IN data. Iso transfers add 16-byte packet
 * descriptors; this codec frames them (so a stream stays in sync) but the
 * bridge refuses them. Pure functions, no allocation, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBIP_HEADER_SIZE       48
#define USBIP_ISO_DESC_SIZE     16
/* Largest transfer we accept in either direction (Linux usb-storage asks for
 * at most a few hundred KiB per URB). */
#define USBIP_MAX_TRANSFER      (4u * 1024 * 1024)
#define USBIP_MAX_ISO_PACKETS   1024
#define USBIP_NOT_ISO           0xffffffffu

enum usbip_command {
    USBIP_CMD_SUBMIT = 1,
    USBIP_CMD_UNLINK = 2,
    USBIP_RET_SUBMIT = 3,
    USBIP_RET_UNLINK = 4,
};

enum usbip_direction {
    USBIP_DIR_OUT = 0,
    USBIP_DIR_IN = 1,
};

struct usbip_header {
    uint32_t command;   /* enum usbip_command */
    uint32_t seqnum;
    uint32_t devid;
    uint32_t direction; /* enum usbip_direction */
    uint32_t ep;        /* 0..15 */
    union {
        struct {
            uint32_t transfer_flags;
            uint32_t transfer_buffer_length;
            uint32_t start_frame;
            uint32_t number_of_packets; /* 0 or USBIP_NOT_ISO unless iso */
            uint32_t interval;
            uint8_t setup[8];
        } cmd_submit;
        struct {
            int32_t status; /* 0 or -errno */
            uint32_t actual_length;
            uint32_t start_frame;
            uint32_t number_of_packets;
            uint32_t error_count;
        } ret_submit;
        struct {
            uint32_t seqnum;
        } cmd_unlink;
        struct {
            int32_t status;
        } ret_unlink;
    } u;
};

/* Decodes one header from @buf (at least USBIP_HEADER_SIZE bytes). Returns 0,
 * or -EINVAL for an unknown command, a direction other than 0/1, an endpoint
 * above 15, a length above USBIP_MAX_TRANSFER or too many iso packets. On
 * error *ret is untouched. */
int usbip_decode(const uint8_t *buf, struct usbip_header *ret);

/* Encodes @h into @out (USBIP_HEADER_SIZE bytes); padding is zeroed. */
void usbip_encode(const struct usbip_header *h, uint8_t *out);

/* True for a CMD_SUBMIT / RET_SUBMIT that describes an iso transfer. */
bool usbip_is_iso(const struct usbip_header *h);

/* Number of bytes following the header of a kernel request (CMD_*): OUT
 * data plus iso descriptors. */
size_t usbip_cmd_payload_length(const struct usbip_header *h);

/* Number of bytes following a RET_SUBMIT whose request had direction @in. */
size_t usbip_ret_payload_length(const struct usbip_header *h, bool in);

/* Fills a RET_SUBMIT for @seqnum. */
void usbip_ret_submit(struct usbip_header *h, uint32_t seqnum, int status,
                      uint32_t actual_length);
/* Fills a RET_UNLINK for @seqnum (the seqnum of the CMD_UNLINK itself). */
void usbip_ret_unlink(struct usbip_header *h, uint32_t seqnum, int status);

const char *usbip_command_name(uint32_t command);
