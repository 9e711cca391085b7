#include "client/known-hosts.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

struct entry {
    char *host; /* lowercase */
    int port;
    char *fingerprint;
    GBytes *key; /* DER SubjectPublicKeyInfo; NULL on a line of the old format */
    int line;    /* in the file it was read from; 0 when added since */
};

struct known_hosts {
    GArray *entries; /* struct entry */
};

static void entry_clear(gpointer p)
{
    struct entry *e = p;
    g_free(e->host);
    g_free(e->fingerprint);
    g_clear_pointer(&e->key, g_bytes_unref);
}

struct known_hosts *known_hosts_create(void)
{
    struct known_hosts *kh = g_new0(struct known_hosts, 1);
    kh->entries = g_array_new(FALSE, TRUE, sizeof(struct entry));
    g_array_set_clear_func(kh->entries, entry_clear);
    return kh;
}

void known_hosts_destroy(struct known_hosts *kh)
{
    if (!kh)
        return;
    g_array_unref(kh->entries);
    g_free(kh);
}

guint known_hosts_count(const struct known_hosts *kh)
{
    return kh->entries->len;
}

char *known_hosts_default_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "thindesk", "known_hosts", NULL);
}

char *known_hosts_fingerprint(const guint8 *data, gsize len)
{
    g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    return g_strconcat("sha256:", hex, NULL);
}

static bool valid_fingerprint(const char *fp)
{
    if (!g_str_has_prefix(fp, "sha256:") || strlen(fp) != 7 + 64)
        return false;
    for (const char *p = fp + 7; *p; p++)
        if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
            return false;
    return true;
}

static bool valid_host(const char *host)
{
    if (!*host || strlen(host) > 255)
        return false;
    for (const char *p = host; *p; p++)
        if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p) || *p == '#')
            return false;
    return true;
}

static struct entry *find(const struct known_hosts *kh, const char *host, int port)
{
    for (guint i = 0; i < kh->entries->len; i++) {
        struct entry *e = &g_array_index(kh->entries, struct entry, i);
        if (e->port == port && g_ascii_strcasecmp(e->host, host) == 0)
            return e;
    }
    return NULL;
}

/* Sets the pin of host:port; takes a reference to @key (may be NULL). */
static int set_pin(struct known_hosts *kh, const char *host, int port, const char *fingerprint,
                   GBytes *key, int line)
{
    if (!valid_host(host) || port < 1 || port > 65535 || !valid_fingerprint(fingerprint))
        return -EINVAL;
    struct entry *e = find(kh, host, port);
    if (!e) {
        struct entry n = {g_ascii_strdown(host, -1), port, NULL, NULL, line};
        g_array_append_val(kh->entries, n);
        e = &g_array_index(kh->entries, struct entry, kh->entries->len - 1);
    } else {
        if (line)
            e->line = line; /* a later line for the same server wins */
        if (strcmp(e->fingerprint, fingerprint) == 0 && !key)
            return 0; /* same pin: keep its key */
    }
    g_free(e->fingerprint);
    e->fingerprint = g_strdup(fingerprint);
    g_clear_pointer(&e->key, g_bytes_unref);
    e->key = key ? g_bytes_ref(key) : NULL;
    return 0;
}

int known_hosts_add(struct known_hosts *kh, const char *host, int port, const char *fingerprint)
{
    return set_pin(kh, host, port, fingerprint, NULL, 0);
}

int known_hosts_add_key(struct known_hosts *kh, const char *host, int port, GBytes *key)
{
    if (!key || g_bytes_get_size(key) == 0)
        return -EINVAL;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(key, &len);
    g_autofree char *fp = known_hosts_fingerprint(data, len);
    return set_pin(kh, host, port, fp, key, 0);
}

GBytes *known_hosts_get_key(const struct known_hosts *kh, const char *host, int port)
{
    struct entry *e = find(kh, host, port);
    return e ? e->key : NULL;
}

int known_hosts_line(const struct known_hosts *kh, const char *host, int port)
{
    struct entry *e = find(kh, host, port);
    return e ? e->line : 0;
}

/* The DER key of a KEY field: base64 whose SHA-256 is @fingerprint. */
static GBytes *parse_key(const char *text, const char *fingerprint)
{
    gsize n = strlen(text);
    if (n == 0 || n % 4 != 0)
        return NULL;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(text[i]) && text[i] != '+' && text[i] != '/' &&
            !(text[i] == '=' && i >= n - 2))
            return NULL;
    gsize len = 0;
    g_autofree guint8 *der = g_base64_decode(text, &len);
    if (!der || len == 0)
        return NULL;
    g_autofree char *again = g_base64_encode(der, len);
    g_autofree char *fp = known_hosts_fingerprint(der, len);
    if (strcmp(again, text) != 0 || strcmp(fp, fingerprint) != 0)
        return NULL;
    return g_bytes_new_take(g_steal_pointer(&der), len);
}

enum known_hosts_verdict known_hosts_check(const struct known_hosts *kh, const char *host, int port,
                                           const char *fingerprint, const char **ret_pinned)
{
    struct entry *e = find(kh, host, port);
    if (!e)
        return KNOWN_HOSTS_NEW;
    if (ret_pinned)
        *ret_pinned = e->fingerprint;
    return g_ascii_strcasecmp(e->fingerprint, fingerprint) == 0 ? KNOWN_HOSTS_MATCH
                                                                : KNOWN_HOSTS_MISMATCH;
}

int known_hosts_parse(struct known_hosts *kh, const char *name, const char *text, char **ret_error)
{
    g_autoptr(GArray) old = g_steal_pointer(&kh->entries);
    kh->entries = g_array_new(FALSE, TRUE, sizeof(struct entry));
    g_array_set_clear_func(kh->entries, entry_clear);

    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        if (!*line || *line == '#')
            continue;
        g_auto(GStrv) f = g_strsplit_set(line, " \t", -1);
        const char *fields[4];
        int n = 0;
        bool too_many = false;
        for (int j = 0; f[j]; j++) {
            if (!*f[j])
                continue;
            if (n == 4) {
                too_many = true;
                break;
            }
            fields[n++] = f[j];
        }
        char *end = NULL;
        long port = n >= 3 ? strtol(fields[1], &end, 10) : 0;
        g_autoptr(GBytes) key = n == 4 ? parse_key(fields[3], fields[2]) : NULL;
        if (too_many || n < 3 || (n == 4 && !key) || !end || *end || port < 1 || port > 65535 ||
            set_pin(kh, fields[0], (int)port, fields[2], key, i + 1) < 0) {
            *ret_error = g_strdup_printf(
                "%s:%d: malformed line; expected HOST PORT sha256:HEX [BASE64-KEY] (fix or delete that line)",
                name, i + 1);
            g_array_unref(kh->entries);
            kh->entries = g_steal_pointer(&old);
            return -EINVAL;
        }
    }
    return 0;
}

int known_hosts_load(struct known_hosts *kh, const char *path, char **ret_error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return known_hosts_parse(kh, path, "", ret_error);
        *ret_error = g_strdup_printf("cannot read %s: %s", path, err->message);
        return -EIO;
    }
    if (memchr(text, '\0', len)) {
        *ret_error = g_strdup_printf(
            "%s: binary data; expected HOST PORT sha256:HEX [BASE64-KEY] lines (fix or delete the file)",
            path);
        return -EINVAL;
    }
    return known_hosts_parse(kh, path, text, ret_error);
}

int known_hosts_save(const struct known_hosts *kh, const char *path, char **ret_error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        int e = errno;
        *ret_error = g_strdup_printf("cannot create %s: %s", dir, g_strerror(e));
        return -e;
    }
    g_autoptr(GString) s =
        g_string_new("# thindesk: pinned server keys (HOST PORT sha256:HEX BASE64-PUBLIC-KEY)\n");
    for (guint i = 0; i < kh->entries->len; i++) {
        const struct entry *e = &g_array_index(kh->entries, struct entry, i);
        g_string_append_printf(s, "%s %d %s", e->host, e->port, e->fingerprint);
        if (e->key) {
            gsize len = 0;
            const guint8 *der = g_bytes_get_data(e->key, &len);
            g_autofree char *b64 = g_base64_encode(der, len);
            g_string_append_printf(s, " %s", b64);
        }
        g_string_append_c(s, '\n');
    }
    if (!g_file_set_contents_full(path, s->str, (gssize)s->len, G_FILE_SET_CONTENTS_CONSISTENT,
                                  0600, &err)) {
        *ret_error = g_strdup_printf("cannot write %s: %s", path, err->message);
        return -EIO;
    }
    return 0;
}
