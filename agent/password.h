/* password: connection passwords (SPICE tickets). */
#pragma once

#include <stdbool.h>

/* Returns a new random password of @length characters from [A-Za-z0-9]
 * (about 5.95 bits each), or NULL when the system has no randomness. */
char *password_generate(int length);

/* Reads a password from @path ("-" reads standard input): the first line,
 * without its line ending. Returns NULL and sets *ret_error (new string) when
 * the file cannot be read, is empty, or the password is too long for SPICE. */
char *password_read(const char *path, char **ret_error);

/* True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost". */
bool password_address_is_loopback(const char *host);
