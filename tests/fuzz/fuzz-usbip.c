/* libFuzzer: USB/IP header decoding. Whatever decodes must encode back to the
 * same header, and payload lengths stay within the caps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usb/usbip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size >= USBIP_HEADER_SIZE) {
        struct usbip_header h, back;
        if (usbip_decode(data, &h) == 0) {
            uint8_t wire[USBIP_HEADER_SIZE];
            usbip_encode(&h, wire);
            if (usbip_decode(wire, &back) != 0 || memcmp(&h, &back, sizeof(h)) != 0)
                abort();
            size_t max = USBIP_MAX_TRANSFER + USBIP_MAX_ISO_PACKETS * USBIP_ISO_DESC_SIZE;
            if (usbip_cmd_payload_length(&h) > max || usbip_ret_payload_length(&h, true) > max)
                abort();
        }
        data += USBIP_HEADER_SIZE;
        size -= USBIP_HEADER_SIZE;
    }
    return 0;
}
