/* listen-socket: a TCP listening socket on HOST:PORT that the agent binds
 * itself, so that a bad address or a port in use is reported precisely
 * (spice-server and the metrics endpoint both use it). */
#pragma once

#include <stdbool.h>

/* Returns the listening fd (close-on-exec; non-blocking if @nonblock), or -1
 * with *ret_error (new string: "HOST:PORT: reason") and *ret_errno (the
 * socket error, 0 when the address itself is wrong). */
int listen_socket_open(const char *host, int port, bool nonblock, int *ret_errno,
                       char **ret_error);
