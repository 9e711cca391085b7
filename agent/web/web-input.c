#include "agent/web/web-input.h"

#include <glib.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "input/injector.h"
#include "input/keycode-web.h"
#include "input/keymap.h"

#define N_KEYS (KEY_MAX + 1)

struct web_input {
    struct web_input_config config;
    struct web_input_sink sink;
    struct keymap_decoder decoder;
    uint32_t held[(N_KEYS + 31) / 32]; /* evdev codes this page holds down */
    unsigned buttons;                  /* buttons this page holds down */
    bool connected;
    /* token bucket */
    double tokens;
    int64_t refilled_us;
    uint64_t dropped;
    uint64_t unknown_keys;
    bool view_only_said, unknown_said, dropped_said;
};

struct web_input *web_input_create(const struct web_input_config *config,
                                   const struct web_input_sink *sink)
{
    struct web_input *wi = g_new0(struct web_input, 1);
    wi->config = *config;
    if (!wi->config.max_per_second)
        wi->config.max_per_second = WEB_INPUT_DEFAULT_RATE;
    wi->sink = *sink;
    wi->tokens = wi->config.max_per_second;
    wi->refilled_us = -1;
    return wi;
}

static bool is_held(const struct web_input *wi, unsigned code)
{
    return code < N_KEYS && (wi->held[code / 32] & (1u << (code % 32)));
}

static void set_held(struct web_input *wi, unsigned code, bool down)
{
    if (code >= N_KEYS)
        return;
    if (down)
        wi->held[code / 32] |= 1u << (code % 32);
    else
        wi->held[code / 32] &= ~(1u << (code % 32));
}

static struct injector *target(struct web_input *wi)
{
    return wi->sink.injector ? wi->sink.injector(wi->sink.data) : NULL;
}

static void release_held(struct web_input *wi)
{
    struct injector *inj = target(wi);
    for (unsigned w = 0; w < G_N_ELEMENTS(wi->held); w++) {
        for (unsigned b = 0; wi->held[w] && b < 32; b++) {
            if (!(wi->held[w] & (1u << b)))
                continue;
            wi->held[w] &= ~(1u << b);
            if (inj)
                injector_key(inj, w * 32 + b, false);
        }
    }
    if (wi->buttons && inj) {
        for (int b = 0; b < INJECTOR_N_BUTTONS; b++)
            if (wi->buttons & (1u << b))
                injector_button(inj, b, false);
    }
    wi->buttons = 0;
    keymap_decoder_reset(&wi->decoder);
}

void web_input_destroy(struct web_input *wi)
{
    if (!wi)
        return;
    release_held(wi);
    g_free(wi);
}

static uint16_t scancode_of(const struct web_page_msg *msg)
{
    return keycode_web_lookup(msg->u.key.code, strlen(msg->u.key.code));
}

/* Whether @msg only lets go of something the page holds. */
static bool only_releases(const struct web_input *wi, const struct web_page_msg *msg)
{
    switch (msg->type) {
    case WEB_PAGE_RELEASE_ALL:
        return true;
    case WEB_PAGE_KEY: {
        uint16_t sc = scancode_of(msg);
        if (msg->u.key.down || !sc)
            return false;
        return is_held(wi, keymap_lookup((sc & 0xff00) != 0, sc & 0x7f));
    }
    case WEB_PAGE_POINTER:
        /* fewer buttons than held, none new, no wheel */
        return (msg->u.pointer.buttons & ~wi->buttons) == 0 &&
               msg->u.pointer.buttons != wi->buttons && !msg->u.pointer.wheel_x &&
               !msg->u.pointer.wheel_y;
    default:
        return false;
    }
}

static bool take_token(struct web_input *wi, int64_t now_us)
{
    double rate = wi->config.max_per_second;
    if (wi->refilled_us >= 0 && now_us > wi->refilled_us)
        wi->tokens = MIN(rate, wi->tokens + (double)(now_us - wi->refilled_us) * rate / 1e6);
    if (wi->refilled_us < 0 || now_us > wi->refilled_us)
        wi->refilled_us = now_us;
    if (wi->tokens < 1.0)
        return false;
    wi->tokens -= 1.0;
    return true;
}

static void on_key(struct web_input *wi, struct injector *inj, const struct web_page_msg *msg)
{
    uint16_t sc = scancode_of(msg);
    if (!sc) {
        wi->unknown_keys++;
        if (!wi->unknown_said) {
            /* web-proto let only A-Z, a-z and 0-9 through */
            g_message("web: ignoring key code \"%s\" (no PC scancode); further ones are not logged",
                      msg->u.key.code);
            wi->unknown_said = true;
        }
        return;
    }
    uint8_t bytes[2];
    size_t n = keycode_web_bytes(sc, msg->u.key.down, bytes);
    for (size_t i = 0; i < n; i++) {
        struct keymap_event ev;
        if (!keymap_decoder_feed(&wi->decoder, bytes[i], &ev))
            continue;
        if (!ev.pressed && !is_held(wi, ev.code))
            continue; /* not ours to release */
        set_held(wi, ev.code, ev.pressed);
        if (inj)
            injector_key(inj, ev.code, ev.pressed);
    }
}

static int clamp_wheel(int v)
{
    return CLAMP(v, -WEB_INPUT_MAX_WHEEL, WEB_INPUT_MAX_WHEEL);
}

static void on_pointer(struct web_input *wi, struct injector *inj, const struct web_page_msg *msg)
{
    unsigned want = msg->u.pointer.buttons;
    if (inj) {
        injector_move_to(inj, msg->u.pointer.x, msg->u.pointer.y);
        for (int b = 0; b < INJECTOR_N_BUTTONS; b++) {
            unsigned bit = 1u << b;
            if ((want ^ wi->buttons) & bit)
                injector_button(inj, b, want & bit);
        }
        if (msg->u.pointer.wheel_x || msg->u.pointer.wheel_y)
            injector_wheel(inj, clamp_wheel(msg->u.pointer.wheel_y),
                           clamp_wheel(msg->u.pointer.wheel_x));
    }
    wi->buttons = want;
}

static const struct {
    unsigned led;
    unsigned code;
} lock_keys[] = {
    {INJECTOR_LED_CAPS_LOCK, KEY_CAPSLOCK},
    {INJECTOR_LED_NUM_LOCK, KEY_NUMLOCK},
    {INJECTOR_LED_SCROLL_LOCK, KEY_SCROLLLOCK},
};

static void on_leds(struct web_input *wi, struct injector *inj, unsigned page)
{
    if (!inj)
        return;
    unsigned desk = injector_get_leds(inj);
    for (size_t i = 0; i < G_N_ELEMENTS(lock_keys); i++) {
        if (!((page ^ desk) & lock_keys[i].led) || is_held(wi, lock_keys[i].code))
            continue;
        g_debug("web: %s the desktop's lock key %u to match the page",
                page & lock_keys[i].led ? "setting" : "clearing", lock_keys[i].code);
        injector_key(inj, lock_keys[i].code, true);
        injector_key(inj, lock_keys[i].code, false);
    }
}

bool web_input_handle(struct web_input *wi, const struct web_page_msg *msg, int64_t now_us)
{
    switch (msg->type) {
    case WEB_PAGE_KEY:
    case WEB_PAGE_POINTER:
    case WEB_PAGE_LEDS:
    case WEB_PAGE_RELEASE_ALL:
        break;
    default:
        return false;
    }
    if (wi->config.view_only) {
        if (!wi->view_only_said)
            g_message("web: view-only: ignoring the page's keyboard and pointer");
        wi->view_only_said = true;
        return true;
    }
    bool token = take_token(wi, now_us);
    if (!token && !only_releases(wi, msg)) {
        wi->dropped++;
        if (!wi->dropped_said)
            g_message("web: the page sends more than %u input events a second: dropping the excess "
                      "(counted in thindesk_web_input_dropped_total)",
                      wi->config.max_per_second);
        wi->dropped_said = true;
        return true;
    }
    struct injector *inj = target(wi);
    switch (msg->type) {
    case WEB_PAGE_KEY:
        on_key(wi, inj, msg);
        break;
    case WEB_PAGE_POINTER:
        on_pointer(wi, inj, msg);
        break;
    case WEB_PAGE_LEDS:
        on_leds(wi, inj, msg->u.leds.leds);
        break;
    case WEB_PAGE_RELEASE_ALL:
        release_held(wi);
        break;
    }
    return true;
}

static void send_leds(struct web_input *wi, unsigned leds)
{
    if (!wi->connected || !wi->sink.send)
        return;
    g_autoptr(GBytes) msg = web_proto_leds((uint8_t)(leds & 0x07));
    wi->sink.send(msg, wi->sink.data);
}

void web_input_page_ready(struct web_input *wi)
{
    wi->connected = true;
    struct injector *inj = target(wi);
    send_leds(wi, inj ? injector_get_leds(inj) : 0);
}

void web_input_page_gone(struct web_input *wi)
{
    release_held(wi);
    wi->connected = false;
    wi->unknown_said = false;
    wi->dropped_said = false;
}

void web_input_desktop_leds(struct web_input *wi, unsigned leds)
{
    if (wi)
        send_leds(wi, leds);
}

uint64_t web_input_dropped(const struct web_input *wi)
{
    return wi->dropped;
}

uint64_t web_input_unknown_keys(const struct web_input *wi)
{
    return wi->unknown_keys;
}
