/* clipboard-mime: the MIME types the Wayland clipboard backends (wlr,
 * mutter) read and offer, and how what they read becomes UTF-8 text or PNG.
 * Pure functions over static tables. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The rank of @mime among the types read as @format (enum
 * clipboard_format): 0 is best; -1 when it is not one of them. */
int clipboard_mime_rank(int format, const char *mime);
/* The table entry equal to @mime for @format (a static string), or NULL. */
const char *clipboard_mime_static(int format, const char *mime);
/* The types offered to the desktop for @format, best first; sets *ret_n. */
const char *const *clipboard_mime_offered(int format, size_t *ret_n);
/* Which format a desktop client asks for with @mime, among the offered
 * types; -1 for none. */
int clipboard_mime_format_of_offered(const char *mime);
/* @data read as @mime turned into @format: text that is not UTF-8 is taken
 * as Latin-1, images other than PNG are converted. Returns a new buffer
 * (g_free) and sets *ret_len, or NULL when it cannot be converted. */
uint8_t *clipboard_mime_normalize(int format, const char *mime, const uint8_t *data, size_t len,
                                  size_t *ret_len);
