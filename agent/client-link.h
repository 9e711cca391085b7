/* client-link: what the kernel knows about the clients' TCP connections.
 *
 * The agent accepts every client connection itself before spice-server
 * takes it over (agent/spice-server.c), so it can keep the descriptors and
 * ask the kernel (TCP_INFO) how many bytes wait in the send queue or in
 * flight, and how many the clients acknowledged: the link's real rate and the delay
 * building up in front of it, for bitrate control. A descriptor spice-server
 * closed (or one reused for another file) is noticed and forgotten. Main
 * thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Remembers a client connection's descriptor (spice-server owns it). */
void client_link_add(int fd);
/* Sums over the live connections: bytes queued and not yet acknowledged
 * (not sent, or in flight: in the network's queues), and bytes
 * acknowledged so far. False when there is no connection to measure. */
bool client_link_sample(size_t *ret_unsent, uint64_t *ret_acked);
/* Forgets every descriptor. */
void client_link_clear(void);
