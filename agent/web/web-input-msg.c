#include "agent/web/web-input-msg.h"

#include <errno.h>
#include <string.h>

#include "input/keycode-web.h"

#define LED_BITS 0x07u /* scroll, num, caps */

static uint16_t u16_at(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int web_input_msg_parse(const uint8_t *b, size_t len, struct web_input_msg *ret)
{
    if (!b || len < 1)
        return -EPROTO;
    struct web_input_msg m = {.type = b[0]};
    switch (b[0]) {
    case WEB_MSG_KEY: {
        if (len < 3 || b[1] > 1)
            return -EPROTO;
        size_t code_len = b[2];
        if (code_len == 0 || code_len > KEYCODE_WEB_MAX_LEN || len != 3 + code_len)
            return -EPROTO;
        m.key.down = b[1] == 1;
        m.key.code = (const char *)b + 3;
        m.key.code_len = (uint8_t)code_len;
        m.key.scancode = keycode_web_lookup(m.key.code, code_len);
        break;
    }
    case WEB_MSG_POINTER:
        if (len != 8)
            return -EPROTO;
        m.pointer.x = u16_at(b + 1);
        m.pointer.y = u16_at(b + 3);
        m.pointer.buttons = b[5] & WEB_POINTER_BUTTONS_MASK;
        m.pointer.wheel_x = (int8_t)b[6];
        m.pointer.wheel_y = (int8_t)b[7];
        break;
    case WEB_MSG_RESIZE:
        if (len != 5)
            return -EPROTO;
        m.resize.width = u16_at(b + 1);
        m.resize.height = u16_at(b + 3);
        break;
    case WEB_MSG_LEDS:
        if (len != 2)
            return -EPROTO;
        m.leds.leds = b[1] & LED_BITS;
        break;
    case WEB_MSG_RELEASE_ALL:
        if (len != 1)
            return -EPROTO;
        break;
    case WEB_MSG_CLIPBOARD:
        if (len < 2 || (b[1] != WEB_CLIP_TEXT && b[1] != WEB_CLIP_PNG))
            return -EPROTO;
        m.clipboard.kind = b[1];
        m.clipboard.data = b + 2;
        m.clipboard.len = len - 2;
        break;
    default:
        return -ENOTSUP;
    }
    *ret = m;
    return 0;
}
