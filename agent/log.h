/* log: where the agent's messages go, and which are shown.
 *
 * Messages at or above the configured level go to standard error as
 * "thindesk-agent: text". Debug messages of a topic show when
 * THINDESK_DEBUG lists it (THINDESK_DEBUG=display,input or =all); the topic of
 * a message is its log domain without the "thindesk-" prefix. */
#pragma once

/* @level: error, warning, info or debug. */
void log_init(const char *level);
