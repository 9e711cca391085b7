/* web-input: the page's keyboard and pointer (KEY, POINTER, LEDS,
 * RELEASE_ALL of agent/web/PROTOCOL.md) into the desktop's injector.
 *
 * Keys go as SPICE scancodes (input/keycode-web) through the same byte
 * decoder as SPICE's inputs channel, so the desktop's layout decides the
 * characters. Input messages count against a rate limit (a token bucket of
 * @max_per_second, as deep as one second): beyond it they are dropped and
 * counted, except those that only let go (the release of a key or button
 * the page holds, RELEASE_ALL), so a flood never leaves a key stuck.
 * View-only sessions ignore all of it. Lock keys: the page's LEDs when it
 * gets focus are made the desktop's by tapping the lock keys that differ;
 * the desktop's LED changes go to the page as LEDS. Main loop only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "agent/web/web-proto.h"

struct injector;

struct web_input_sink {
    /* The injector input goes to right now (it follows the desktop), or
     * NULL while input goes nowhere. */
    struct injector *(*injector)(void *data);
    /* Sends one agent-to-page message (LEDS); does not take @msg. */
    void (*send)(GBytes *msg, void *data);
    void *data;
};

struct web_input_config {
    bool view_only;
    unsigned max_per_second; /* 0: WEB_INPUT_DEFAULT_RATE */
};

#define WEB_INPUT_DEFAULT_RATE 1000
/* Wheel notches one POINTER message may turn, each way. */
#define WEB_INPUT_MAX_WHEEL 10

struct web_input *web_input_create(const struct web_input_config *config,
                                   const struct web_input_sink *sink);
/* Lets go of what the page still holds. */
void web_input_destroy(struct web_input *wi);

/* @msg is a parsed (web-proto) KEY, POINTER, LEDS or RELEASE_ALL; @now_us
 * the monotonic clock. Returns false (and does nothing) for other types. */
bool web_input_handle(struct web_input *wi, const struct web_page_msg *msg, int64_t now_us);

/* A page connected (after HELLO): it is told the desktop's LEDs. */
void web_input_page_ready(struct web_input *wi);
/* The page went away: lets go of every key and button it held. */
void web_input_page_gone(struct web_input *wi);
/* The desktop's lock-key LEDs changed (the injector's listener): tells the
 * page, if one is connected. */
void web_input_desktop_leds(struct web_input *wi, unsigned leds);

/* Input messages dropped by the rate limit since creation. */
uint64_t web_input_dropped(const struct web_input *wi);
/* Key messages with a code the table does not know (ignored). */
uint64_t web_input_unknown_keys(const struct web_input *wi);
