#include "usb/usbip.h"

#include <errno.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static bool iso_count_ok(uint32_t n)
{
    return n == USBIP_NOT_ISO || n <= USBIP_MAX_ISO_PACKETS;
}

int usbip_decode(const uint8_t *buf, struct usbip_header *ret)
{
    struct usbip_header h;
    memset(&h, 0, sizeof(h));
    h.command = get32(buf);
    h.seqnum = get32(buf + 4);
    h.devid = get32(buf + 8);
    h.direction = get32(buf + 12);
    h.ep = get32(buf + 16);
    const uint8_t *p = buf + 20;
    switch (h.command) {
    case USBIP_CMD_SUBMIT:
        h.u.cmd_submit.transfer_flags = get32(p);
        h.u.cmd_submit.transfer_buffer_length = get32(p + 4);
        h.u.cmd_submit.start_frame = get32(p + 8);
        h.u.cmd_submit.number_of_packets = get32(p + 12);
        h.u.cmd_submit.interval = get32(p + 16);
        memcpy(h.u.cmd_submit.setup, p + 20, 8);
        if (h.direction > USBIP_DIR_IN || h.ep > 15 ||
            h.u.cmd_submit.transfer_buffer_length > USBIP_MAX_TRANSFER ||
            !iso_count_ok(h.u.cmd_submit.number_of_packets))
            return -EINVAL;
        break;
    case USBIP_RET_SUBMIT:
        h.u.ret_submit.status = (int32_t)get32(p);
        h.u.ret_submit.actual_length = get32(p + 4);
        h.u.ret_submit.start_frame = get32(p + 8);
        h.u.ret_submit.number_of_packets = get32(p + 12);
        h.u.ret_submit.error_count = get32(p + 16);
        if (h.direction > USBIP_DIR_IN || h.ep > 15 ||
            h.u.ret_submit.actual_length > USBIP_MAX_TRANSFER ||
            !iso_count_ok(h.u.ret_submit.number_of_packets))
            return -EINVAL;
        break;
    case USBIP_CMD_UNLINK:
        h.u.cmd_unlink.seqnum = get32(p);
        if (h.direction > USBIP_DIR_IN || h.ep > 15)
            return -EINVAL;
        break;
    case USBIP_RET_UNLINK:
        h.u.ret_unlink.status = (int32_t)get32(p);
        if (h.direction > USBIP_DIR_IN || h.ep > 15)
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    *ret = h;
    return 0;
}

void usbip_encode(const struct usbip_header *h, uint8_t *out)
{
    memset(out, 0, USBIP_HEADER_SIZE);
    put32(out, h->command);
    put32(out + 4, h->seqnum);
    put32(out + 8, h->devid);
    put32(out + 12, h->direction);
    put32(out + 16, h->ep);
    uint8_t *p = out + 20;
    switch (h->command) {
    case USBIP_CMD_SUBMIT:
        put32(p, h->u.cmd_submit.transfer_flags);
        put32(p + 4, h->u.cmd_submit.transfer_buffer_length);
        put32(p + 8, h->u.cmd_submit.start_frame);
        put32(p + 12, h->u.cmd_submit.number_of_packets);
        put32(p + 16, h->u.cmd_submit.interval);
        memcpy(p + 20, h->u.cmd_submit.setup, 8);
        break;
    case USBIP_RET_SUBMIT:
        put32(p, (uint32_t)h->u.ret_submit.status);
        put32(p + 4, h->u.ret_submit.actual_length);
        put32(p + 8, h->u.ret_submit.start_frame);
        put32(p + 12, h->u.ret_submit.number_of_packets);
        put32(p + 16, h->u.ret_submit.error_count);
        break;
    case USBIP_CMD_UNLINK:
        put32(p, h->u.cmd_unlink.seqnum);
        break;
    case USBIP_RET_UNLINK:
        put32(p, (uint32_t)h->u.ret_unlink.status);
        break;
    }
}

static size_t iso_descs(uint32_t n)
{
    return n == USBIP_NOT_ISO ? 0 : (size_t)n * USBIP_ISO_DESC_SIZE;
}

bool usbip_is_iso(const struct usbip_header *h)
{
    uint32_t n = h->command == USBIP_CMD_SUBMIT   ? h->u.cmd_submit.number_of_packets
                 : h->command == USBIP_RET_SUBMIT ? h->u.ret_submit.number_of_packets
                                                  : USBIP_NOT_ISO;
    return n != USBIP_NOT_ISO && n != 0;
}

size_t usbip_cmd_payload_length(const struct usbip_header *h)
{
    if (h->command != USBIP_CMD_SUBMIT)
        return 0;
    size_t n = iso_descs(h->u.cmd_submit.number_of_packets);
    if (h->direction == USBIP_DIR_OUT)
        n += h->u.cmd_submit.transfer_buffer_length;
    return n;
}

size_t usbip_ret_payload_length(const struct usbip_header *h, bool in)
{
    if (h->command != USBIP_RET_SUBMIT)
        return 0;
    size_t n = iso_descs(h->u.ret_submit.number_of_packets);
    if (in)
        n += h->u.ret_submit.actual_length;
    return n;
}

void usbip_ret_submit(struct usbip_header *h, uint32_t seqnum, int status,
                      uint32_t actual_length)
{
    memset(h, 0, sizeof(*h));
    h->command = USBIP_RET_SUBMIT;
    h->seqnum = seqnum;
    h->u.ret_submit.status = status;
    h->u.ret_submit.actual_length = actual_length;
}

void usbip_ret_unlink(struct usbip_header *h, uint32_t seqnum, int status)
{
    memset(h, 0, sizeof(*h));
    h->command = USBIP_RET_UNLINK;
    h->seqnum = seqnum;
    h->u.ret_unlink.status = status;
}

const char *usbip_command_name(uint32_t command)
{
    switch (command) {
    case USBIP_CMD_SUBMIT:
        return "CMD_SUBMIT";
    case USBIP_CMD_UNLINK:
        return "CMD_UNLINK";
    case USBIP_RET_SUBMIT:
        return "RET_SUBMIT";
    case USBIP_RET_UNLINK:
        return "RET_UNLINK";
    }
    return "?";
}
