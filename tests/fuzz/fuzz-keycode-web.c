/* libFuzzer target: KeyboardEvent.code strings as a page sends them (any
 * bytes, any length) through the code table and the set-1 byte decoder. A
 * found key must decode to exactly one press and one release. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/keycode-web.h"
#include "input/keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t sc = keycode_web_lookup((const char *)data, size);
    if (!sc)
        return 0;
    if (size == 0 || size > KEYCODE_WEB_MAX_LEN || memchr(data, 0, size))
        abort(); /* only real names may match */
    struct keymap_decoder d = {0};
    for (int pressed = 1; pressed >= 0; pressed--) {
        uint8_t bytes[2];
        size_t n = keycode_web_bytes(sc, pressed, bytes);
        int events = 0;
        for (size_t i = 0; i < n; i++) {
            struct keymap_event ev;
            if (keymap_decoder_feed(&d, bytes[i], &ev)) {
                if (ev.pressed != pressed || ev.code == 0)
                    abort();
                events++;
            }
        }
        if (events != 1)
            abort();
    }
    return 0;
}
