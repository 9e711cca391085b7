/* vv-file: remote-viewer's connection files (.vv), as brokers and admin
 * portals hand them out.
 *
 * Only the [virt-viewer] group is read. Its known keys are returned as
 * (key, value) text pairs in file order; settings.c gives them types and
 * precedence. Keys we do not know are listed in @unknown (a warning for the
 * user, not an error: brokers add their own keys). Pure C on GLib, no I/O
 * beyond reading the file. */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct vv_file {
    char *path;
    GPtrArray *keys;    /* char*, known keys in file order */
    GPtrArray *values;  /* char*, same index; \n escapes already decoded */
    GPtrArray *unknown; /* char*, names of keys we do not know */
    bool delete_this_file;
};

/* Largest .vv file we read; real ones are a few kilobytes with a CA inside. */
#define VV_FILE_MAX_SIZE (1024 * 1024)

/* Parses @len bytes of @data. @path names the file in messages (it is not
 * opened). Returns NULL and sets *ret_error (a new string) if the data is
 * not a key file, has no [virt-viewer] group, its type is not "spice", it
 * names no host or no port, or a value is not valid UTF-8 text. */
struct vv_file *vv_file_parse(const char *path, const char *data, size_t len, char **ret_error);

/* Reads and parses the file at @path (see vv_file_parse). */
struct vv_file *vv_file_load(const char *path, char **ret_error);

void vv_file_destroy(struct vv_file *vv);

/* The value of @key, or NULL when the file does not set it. */
const char *vv_file_get(const struct vv_file *vv, const char *key);

/* Deletes the file if it asked for it (delete-this-file=1), as remote-viewer
 * does right after reading it. Returns 0, or -errno if it could not. */
int vv_file_delete_if_asked(const struct vv_file *vv);

/* True when @path looks like a connection file rather than a URI. */
bool vv_file_is_path(const char *arg);
