#include "display/image-convert.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

static const char *pixbuf_type(const char *mime)
{
    static const char *const map[][2] = {
        {"image/png", "png"}, {"image/bmp", "bmp"}, {"image/jpeg", "jpeg"},
        {"image/tiff", "tiff"}};
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (strcmp(map[i][0], mime) == 0)
            return map[i][1];
    return NULL;
}

uint8_t *image_convert(const uint8_t *data, size_t len, const char *mime, size_t *ret_len)
{
    const char *type = pixbuf_type(mime);
    if (!type || !data || !len)
        return NULL;
    g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new();
    g_autoptr(GError) error = NULL;
    if (!gdk_pixbuf_loader_write(loader, data, len, &error) ||
        !gdk_pixbuf_loader_close(loader, &error)) {
        g_debug("image-convert: cannot decode the image: %s", error->message);
        return NULL;
    }
    GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf(loader);
    if (!pixbuf)
        return NULL;
    gchar *out = NULL;
    gsize out_len = 0;
    if (!gdk_pixbuf_save_to_buffer(pixbuf, &out, &out_len, type, &error, NULL)) {
        g_debug("image-convert: cannot encode %s: %s", mime, error->message);
        return NULL;
    }
    *ret_len = out_len;
    return (uint8_t *)out;
}
