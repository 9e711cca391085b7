/* log: where the agent's messages go, and which are shown.
 *
 * Messages at or above the configured level go to standard error as
 * "thindesk-agent: text". Debug messages of a topic show when
 * THINDESK_DEBUG lists it (THINDESK_DEBUG=display,input or =all); the topic of
 * a message is its log domain without the "thindesk-" prefix.
 *
 * Started by systemd (JOURNAL_STREAM names our standard error), messages go
 * to the journal instead, with their structured fields: modules log events
 * with g_log_structured() and the fields CLIENT_ADDRESS, SESSION_ID and EVENT
 * (client-connected, client-disconnected, resize, ...). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* @level: error, warning, info or debug. */
void log_init(const char *level);

/* True when standard error is the journal stream systemd gave us. */
bool log_stderr_is_journal(void);

/* Builds the journal entry ("KEY=value" strings, new) for a GLib log
 * message into @ret_fields: the message's own fields whose names the journal
 * accepts, PRIORITY from @level and SYSLOG_IDENTIFIER. -EINVAL without a
 * MESSAGE. Exposed for unit tests. */
int log_journal_fields(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                       bool spice, GPtrArray *ret_fields);
