#include "agent/web/web-login.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/random.h>

struct entry {
    char *secret;
    int64_t expires_us;
    bool spent;
};

struct web_login {
    GPtrArray *tokens;   /* struct entry* */
    GPtrArray *sessions; /* struct entry* */
};

static void entry_free(gpointer p)
{
    struct entry *e = p;
    memset(e->secret, 0, strlen(e->secret));
    g_free(e->secret);
    g_free(e);
}

struct web_login *web_login_create(void)
{
    struct web_login *l = g_new0(struct web_login, 1);
    l->tokens = g_ptr_array_new_with_free_func(entry_free);
    l->sessions = g_ptr_array_new_with_free_func(entry_free);
    return l;
}

void web_login_destroy(struct web_login *l)
{
    if (!l)
        return;
    g_ptr_array_free(l->tokens, TRUE);
    g_ptr_array_free(l->sessions, TRUE);
    g_free(l);
}

bool web_login_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static void add(GPtrArray *list, const char *secret, int64_t expires_us)
{
    if (list->len >= WEB_LOGIN_MAX_ENTRIES)
        g_ptr_array_remove_index(list, 0);
    struct entry *e = g_new0(struct entry, 1);
    e->secret = g_strdup(secret);
    e->expires_us = expires_us;
    g_ptr_array_add(list, e);
}

/* Drops entries expired for longer than a TTL (spent tokens are kept until
 * then, so a reuse is told apart from a typo in the logs). */
static void prune(GPtrArray *list, int64_t now_us)
{
    for (guint i = list->len; i-- > 0;) {
        struct entry *e = g_ptr_array_index(list, i);
        if (now_us - e->expires_us > (int64_t)WEB_SESSION_TTL_S * G_USEC_PER_SEC)
            g_ptr_array_remove_index(list, i);
    }
}

static struct entry *find(GPtrArray *list, const char *secret)
{
    struct entry *found = NULL;
    for (guint i = 0; i < list->len; i++) {
        struct entry *e = g_ptr_array_index(list, i);
        if (web_login_secret_equal(e->secret, secret))
            found = e;
    }
    return found;
}

void web_login_add_token(struct web_login *l, const char *token, int64_t expires_us)
{
    add(l->tokens, token, expires_us);
}

int web_login_use_token(struct web_login *l, const char *token, int64_t now_us)
{
    prune(l->tokens, now_us);
    struct entry *e = find(l->tokens, token);
    if (!e)
        return -ENOENT;
    if (e->spent || now_us >= e->expires_us)
        return -ESTALE;
    e->spent = true;
    return 0;
}

char *web_login_new_session(struct web_login *l, int64_t now_us)
{
    uint8_t raw[32];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return NULL;
    char *id = g_malloc(2 * sizeof(raw) + 1);
    for (size_t i = 0; i < sizeof(raw); i++)
        g_snprintf(id + 2 * i, 3, "%02x", raw[i]);
    memset(raw, 0, sizeof(raw));
    prune(l->sessions, now_us);
    add(l->sessions, id, now_us + (int64_t)WEB_SESSION_TTL_S * G_USEC_PER_SEC);
    return id;
}

bool web_login_session_valid(struct web_login *l, const char *id, int64_t now_us)
{
    struct entry *e = find(l->sessions, id);
    if (!e || now_us >= e->expires_us)
        return false;
    e->expires_us = now_us + (int64_t)WEB_SESSION_TTL_S * G_USEC_PER_SEC;
    return true;
}

void web_login_drop_sessions(struct web_login *l)
{
    g_ptr_array_set_size(l->sessions, 0);
}

char *web_login_cookie_value(const char *header, const char *name)
{
    if (!header)
        return NULL;
    size_t nlen = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1;
            size_t vlen = len - nlen - 1;
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen == 0 || vlen > WEB_SECRET_MAX)
                return NULL;
            for (size_t i = 0; i < vlen; i++)
                if (!g_ascii_isxdigit(v[i]) || g_ascii_isupper(v[i]))
                    return NULL;
            return g_strndup(v, vlen);
        }
        p += len;
    }
    return NULL;
}

/* Decodes %XX and + of a form value; NULL when malformed or with a NUL. */
static char *form_decode(const char *s, size_t len)
{
    if (len > 3 * WEB_SECRET_MAX)
        return NULL;
    GString *out = g_string_sized_new(len);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len || !g_ascii_isxdigit(s[i + 1]) || !g_ascii_isxdigit(s[i + 2]))
                goto bad;
            c = (char)(g_ascii_xdigit_value(s[i + 1]) << 4 | g_ascii_xdigit_value(s[i + 2]));
            i += 2;
        }
        if (c == '\0')
            goto bad;
        g_string_append_c(out, c);
    }
    if (out->len == 0 || out->len > WEB_SECRET_MAX)
        goto bad;
    return g_string_free(out, FALSE);
bad:
    memset(out->str, 0, out->len);
    g_string_free(out, TRUE);
    return NULL;
}

int web_login_parse_body(const char *body, size_t len, char **ret_token, char **ret_password)
{
    if (!body || len == 0 || len > WEB_LOGIN_BODY_MAX || memchr(body, '\0', len))
        return -EINVAL;
    const char *eq = memchr(body, '=', len);
    if (!eq || eq - body != 1 || (body[0] != 't' && body[0] != 'p'))
        return -EINVAL;
    if (memchr(eq + 1, '&', len - 2))
        return -EINVAL; /* exactly one field */
    char *value = form_decode(eq + 1, len - 2);
    if (!value)
        return -EINVAL;
    *ret_token = body[0] == 't' ? value : NULL;
    *ret_password = body[0] == 'p' ? value : NULL;
    return 0;
}
