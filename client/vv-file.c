#include "client/vv-file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define GROUP "virt-viewer"

/* The [virt-viewer] keys we act on. Others that remote-viewer knows but we do
 * not implement are reported as unknown, so the user sees they are ignored. */
static const char *const known_keys[] = {
    "type",
    "host",
    "port",
    "tls-port",
    "password",
    "title",
    "fullscreen",
    "ca",
    "host-subject",
    "secure-channels",
    "enable-usbredir",
    "usb-filter",
    "enable-usb-autoshare",
    "delete-this-file",
    "release-cursor",
    "toggle-fullscreen",
    NULL,
};

static bool is_known(const char *key)
{
    for (int i = 0; known_keys[i]; i++)
        if (strcmp(known_keys[i], key) == 0)
            return true;
    return false;
}

bool vv_file_is_path(const char *arg)
{
    return arg && !g_str_has_prefix(arg, "spice://") && !g_str_has_prefix(arg, "spice+unix://");
}

void vv_file_destroy(struct vv_file *vv)
{
    if (!vv)
        return;
    g_free(vv->path);
    g_ptr_array_unref(vv->keys);
    g_ptr_array_unref(vv->values);
    g_ptr_array_unref(vv->unknown);
    g_free(vv);
}

const char *vv_file_get(const struct vv_file *vv, const char *key)
{
    for (guint i = 0; i < vv->keys->len; i++)
        if (strcmp(g_ptr_array_index(vv->keys, i), key) == 0)
            return g_ptr_array_index(vv->values, i);
    return NULL;
}

static bool is_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return !errno && end != s && !*end && v >= -1 && v <= 65535;
}

static bool has_port(const char *s)
{
    return s && is_port(s) && strtol(s, NULL, 10) > 0;
}

struct vv_file *vv_file_parse(const char *path, const char *data, size_t len, char **ret_error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    struct vv_file *vv = NULL;

    if (len > VV_FILE_MAX_SIZE) {
        *ret_error = g_strdup_printf("%s: too large for a connection file (%zu bytes)", path, len);
        return NULL;
    }
    if (memchr(data, '\0', len)) {
        *ret_error = g_strdup_printf("%s: not a connection file (binary data)", path);
        return NULL;
    }
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &err)) {
        *ret_error = g_strdup_printf("%s: not a connection file: %s", path, err->message);
        return NULL;
    }
    if (!g_key_file_has_group(kf, GROUP)) {
        *ret_error =
            g_strdup_printf("%s: no [virt-viewer] group; is this a .vv connection file?", path);
        return NULL;
    }
    gsize n = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, GROUP, &n, NULL);

    vv = g_new0(struct vv_file, 1);
    vv->path = g_strdup(path);
    vv->keys = g_ptr_array_new_with_free_func(g_free);
    vv->values = g_ptr_array_new_with_free_func(g_free);
    vv->unknown = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; i < n; i++) {
        if (!is_known(keys[i])) {
            g_ptr_array_add(vv->unknown, g_strdup(keys[i]));
            continue;
        }
        g_clear_error(&err);
        char *value = g_key_file_get_string(kf, GROUP, keys[i], &err);
        if (!value) {
            *ret_error = g_strdup_printf("%s: key %s: %s", path, keys[i], err->message);
            goto err_free;
        }
        g_strstrip(value);
        /* A key set twice: GKeyFile keeps the last one; so do we. */
        for (guint j = 0; j < vv->keys->len; j++) {
            if (strcmp(g_ptr_array_index(vv->keys, j), keys[i]) == 0) {
                g_ptr_array_remove_index(vv->keys, j);
                g_ptr_array_remove_index(vv->values, j);
                break;
            }
        }
        g_ptr_array_add(vv->keys, g_strdup(keys[i]));
        g_ptr_array_add(vv->values, value);
    }

    const char *type = vv_file_get(vv, "type");
    if (!type) {
        *ret_error = g_strdup_printf("%s: no type= key; expected type=spice", path);
        goto err_free;
    }
    if (strcmp(type, "spice") != 0) {
        *ret_error = g_strdup_printf(
            "%s: type=%s is not supported; thindesk speaks only type=spice", path, type);
        goto err_free;
    }
    const char *host = vv_file_get(vv, "host");
    if (!host || !*host) {
        *ret_error = g_strdup_printf("%s: no host= key", path);
        goto err_free;
    }
    const char *port = vv_file_get(vv, "port"), *tls_port = vv_file_get(vv, "tls-port");
    if ((port && !is_port(port)) || (tls_port && !is_port(tls_port))) {
        *ret_error = g_strdup_printf("%s: port=%s tls-port=%s: a port is a number from 1 to 65535",
                                     path, port ? port : "", tls_port ? tls_port : "");
        goto err_free;
    }
    if (!has_port(port) && !has_port(tls_port)) {
        *ret_error = g_strdup_printf("%s: neither port= nor tls-port= names a port", path);
        goto err_free;
    }
    const char *del = vv_file_get(vv, "delete-this-file");
    if (del) {
        if (strcmp(del, "1") == 0 || g_ascii_strcasecmp(del, "true") == 0) {
            vv->delete_this_file = true;
        } else if (strcmp(del, "0") != 0 && g_ascii_strcasecmp(del, "false") != 0) {
            *ret_error = g_strdup_printf("%s: delete-this-file=%s: expected 0 or 1", path, del);
            goto err_free;
        }
    }
    return vv;

err_free:
    vv_file_destroy(vv);
    return NULL;
}

struct vv_file *vv_file_load(const char *path, char **ret_error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        *ret_error = g_strdup_printf("%s: is a directory, not a connection file", path);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, &err)) {
        *ret_error = g_strdup_printf("cannot read connection file: %s", err->message);
        return NULL;
    }
    return vv_file_parse(path, data, len, ret_error);
}

int vv_file_delete_if_asked(const struct vv_file *vv)
{
    if (!vv->delete_this_file)
        return 0;
    if (unlink(vv->path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}
