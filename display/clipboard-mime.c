#include "display/clipboard-mime.h"

#include <glib.h>
#include <string.h>

#include "display/clipboard.h"
#include "display/image-convert.h"

/* What we read, best first; we offer all but STRING and TEXT. */
static const char *const text_types[] = {
    "text/plain;charset=utf-8", "UTF8_STRING", "text/plain", "STRING", "TEXT",
};
#define N_OFFERED_TEXT_TYPES 3
/* Images besides PNG, converted with gdk-pixbuf: lossless before lossy. */
static const char *const image_types[] = {"image/png", "image/bmp", "image/tiff", "image/jpeg"};
#define N_OFFERED_IMAGE_TYPES 1

static const char *const *table_of(int format, size_t *ret_n)
{
    if (format == CLIPBOARD_FMT_TEXT) {
        *ret_n = G_N_ELEMENTS(text_types);
        return text_types;
    }
    if (format == CLIPBOARD_FMT_PNG) {
        *ret_n = G_N_ELEMENTS(image_types);
        return image_types;
    }
    *ret_n = 0;
    return NULL;
}

int clipboard_mime_rank(int format, const char *mime)
{
    size_t n;
    const char *const *table = table_of(format, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(mime, table[i]) == 0)
            return (int)i;
    return -1;
}

const char *clipboard_mime_static(int format, const char *mime)
{
    size_t n;
    const char *const *table = table_of(format, &n);
    int r = clipboard_mime_rank(format, mime);
    return r >= 0 ? table[r] : NULL;
}

const char *const *clipboard_mime_offered(int format, size_t *ret_n)
{
    const char *const *table = table_of(format, ret_n);
    *ret_n = format == CLIPBOARD_FMT_TEXT  ? N_OFFERED_TEXT_TYPES
             : format == CLIPBOARD_FMT_PNG ? N_OFFERED_IMAGE_TYPES
                                           : 0;
    return table;
}

int clipboard_mime_format_of_offered(const char *mime)
{
    int r = clipboard_mime_rank(CLIPBOARD_FMT_TEXT, mime);
    if (r >= 0)
        return CLIPBOARD_FMT_TEXT;
    if (strcmp(mime, "image/png") == 0)
        return CLIPBOARD_FMT_PNG;
    return -1;
}

uint8_t *clipboard_mime_normalize(int format, const char *mime, const uint8_t *data, size_t len,
                                  size_t *ret_len)
{
    if (len == 0) {
        *ret_len = 0;
        return g_malloc0(1); /* empty, not refused */
    }
    if (format == CLIPBOARD_FMT_TEXT) {
        if (g_utf8_validate((const char *)data, (gssize)len, NULL)) {
            *ret_len = len;
            return g_memdup2(data, len);
        }
        /* STRING, or text/plain in a legacy charset: take it as Latin-1. */
        gsize n = 0;
        char *utf8 =
            g_convert((const char *)data, (gssize)len, "UTF-8", "ISO-8859-1", NULL, &n, NULL);
        *ret_len = utf8 ? n : 0;
        return (uint8_t *)utf8;
    }
    if (strcmp(mime, "image/png") == 0) {
        *ret_len = len;
        return g_memdup2(data, len);
    }
    return image_convert(data, len, "image/png", ret_len);
}
