/* exit-status: what `thindesk` returns, one code per reason it stopped.
 * Documented in --help (settings.c) and relied on by scripts and tests. */
#pragma once

enum exit_status {
    EXIT_STATUS_OK = 0,           /* done (screenshot written, duration over, user quit) */
    EXIT_STATUS_ERROR = 1,        /* anything else (cannot write a file, ...) */
    EXIT_STATUS_USAGE = 2,        /* bad command line or config file */
    EXIT_STATUS_BAD_FILE = 3,     /* the .vv connection file is malformed */
    EXIT_STATUS_UNREACHABLE = 10, /* could not connect to the host and port */
    EXIT_STATUS_AUTH = 11,        /* the server refused the password */
    EXIT_STATUS_CERTIFICATE = 12, /* TLS: the server's certificate failed verification */
    EXIT_STATUS_SERVER_GONE = 13, /* the server closed the connection */
    EXIT_STATUS_TIMEOUT = 14,     /* connected, but no complete frame within --timeout */
    EXIT_STATUS_PROTOCOL = 15,    /* the server is not a SPICE server we can talk to */
};
