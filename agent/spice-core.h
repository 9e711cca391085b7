/* spice-core: spice-server's SpiceCoreInterface on the GLib main loop.
 *
 * Timers are GSources, watches are unix fd sources, all on the default main
 * context. spice-server may start and cancel timers from its own threads, so
 * each timer has a lock. */
#pragma once

#include <spice.h>

struct spice_core_events {
    /* A channel connected, was initialised or disconnected. Main thread. */
    void (*channel_event)(int event, SpiceChannelEventInfo *info, void *user_data);
    /* A listening socket spice-server watches is readable. When set, this
     * accepts instead of spice-server (and hands the connection back with
     * spice_server_add_client or _add_ssl_client). Main thread. */
    void (*accept)(int listen_fd, void *user_data);
    void *user_data;
};

/* Returns the interface; @events may be NULL. One per process. */
SpiceCoreInterface *spice_core_get(const struct spice_core_events *events);
