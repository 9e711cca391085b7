/* session-proto: see session-proto.h and SESSION-PROTO.md. */
#include "agent/system/session-proto.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    enum session_msg_type type;
    const char *name;
    bool payload; /* carries a PCM payload */
} types[] = {
    {SESSION_MSG_HELLO, "hello", false},         {SESSION_MSG_WELCOME, "welcome", false},
    {SESSION_MSG_REFUSED, "refused", false},     {SESSION_MSG_FILE_OPEN, "file-open", false},
    {SESSION_MSG_FILE_FD, "file-fd", false},     {SESSION_MSG_FILE_KEEP, "file-keep", false},
    {SESSION_MSG_FILE_KEPT, "file-kept", false}, {SESSION_MSG_FILE_DROP, "file-drop", false},
    {SESSION_MSG_FILE_ERROR, "file-error", false}, {SESSION_MSG_PCM, "pcm", true},
    {SESSION_MSG_MIC, "mic", true},              {SESSION_MSG_AUDIO, "audio", false},
    {SESSION_MSG_LISTENING, "listening", false},
};

const char *session_msg_type_name(enum session_msg_type type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
        if (types[i].type == type)
            return types[i].name;
    return "?";
}

static bool name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 255 || !g_utf8_validate(name, -1, NULL))
        return false;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* A decimal u32 with nothing else around it. */
static bool parse_u32(const char *s, uint32_t *ret)
{
    if (!g_ascii_isdigit(*s) || strlen(s) > 10)
        return false;
    guint64 v = 0;
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s))
            return false;
        v = v * 10 + (guint64)(*s - '0');
    }
    if (v > G_MAXUINT32)
        return false;
    *ret = (uint32_t)v;
    return true;
}

void session_msg_clear(struct session_msg *msg)
{
    g_clear_pointer(&msg->name, g_free);
    g_clear_pointer(&msg->session, g_free);
    g_clear_pointer(&msg->reason, g_free);
}

enum { HAVE_VERSION = 1, HAVE_ID = 2, HAVE_ERR = 4, HAVE_ON = 8, HAVE_NAME = 16,
       HAVE_SESSION = 32, HAVE_REASON = 64 };

static unsigned required(enum session_msg_type t)
{
    switch (t) {
    case SESSION_MSG_HELLO: return HAVE_VERSION;
    case SESSION_MSG_WELCOME: return HAVE_SESSION;
    case SESSION_MSG_REFUSED: return HAVE_REASON;
    case SESSION_MSG_FILE_OPEN: case SESSION_MSG_FILE_KEPT: return HAVE_ID | HAVE_NAME;
    case SESSION_MSG_FILE_FD: case SESSION_MSG_FILE_KEEP: case SESSION_MSG_FILE_DROP:
        return HAVE_ID;
    case SESSION_MSG_FILE_ERROR: return HAVE_ID | HAVE_ERR;
    case SESSION_MSG_AUDIO: case SESSION_MSG_LISTENING: return HAVE_ON;
    case SESSION_MSG_PCM: case SESSION_MSG_MIC: return 0;
    }
    return 0;
}

static bool parse_word(struct session_msg *msg, char *word, unsigned *have, const char **why)
{
    char *eq = strchr(word, '=');
    if (!eq)
        return true; /* a bare word: ignored, like an unknown key */
    *eq = '\0';
    const char *key = word, *raw = eq + 1;
    uint32_t n;
    if (strcmp(key, "version") == 0 || strcmp(key, "id") == 0 || strcmp(key, "err") == 0 ||
        strcmp(key, "on") == 0) {
        if (!parse_u32(raw, &n)) {
            *why = "a number out of range";
            return false;
        }
        if (key[0] == 'v') {
            msg->version = n;
            *have |= HAVE_VERSION;
        } else if (key[0] == 'i') {
            msg->id = n;
            *have |= HAVE_ID;
        } else if (key[0] == 'e') {
            if (n == 0 || n > 4095) {
                *why = "an errno out of range";
                return false;
            }
            msg->err = (int32_t)n;
            *have |= HAVE_ERR;
        } else {
            if (n > 1) {
                *why = "on= must be 0 or 1";
                return false;
            }
            msg->on = n;
            *have |= HAVE_ON;
        }
        return true;
    }
    char **slot = strcmp(key, "name") == 0      ? &msg->name
                  : strcmp(key, "session") == 0 ? &msg->session
                  : strcmp(key, "reason") == 0  ? &msg->reason
                                                : NULL;
    if (!slot)
        return true;
    char *value = g_uri_unescape_string(raw, NULL);
    if (!value || strchr(value, '\n') || !g_utf8_validate(value, -1, NULL)) {
        g_free(value);
        *why = "a badly escaped value";
        return false;
    }
    g_free(*slot);
    *slot = value;
    *have |= slot == &msg->name ? HAVE_NAME : slot == &msg->session ? HAVE_SESSION : HAVE_REASON;
    return true;
}

bool session_proto_parse(const uint8_t *buf, size_t len, struct session_msg *msg,
                         const char **ret_error)
{
    memset(msg, 0, sizeof(*msg));
    const char *why = NULL;
    if (len == 0 || len > SESSION_PROTO_MAX_MESSAGE) {
        *ret_error = len ? "message too long" : "empty message";
        return false;
    }
    const uint8_t *nl = memchr(buf, '\n', MIN(len, (size_t)SESSION_PROTO_MAX_HEAD + 1));
    size_t head_len = nl ? (size_t)(nl - buf) : len;
    if (head_len > SESSION_PROTO_MAX_HEAD) {
        *ret_error = "head too long";
        return false;
    }
    for (size_t i = 0; i < head_len; i++)
        if (buf[i] < 0x20 || buf[i] > 0x7e) {
            *ret_error = "a byte that is not printable ASCII in the head";
            return false;
        }
    g_autofree char *head = g_strndup((const char *)buf, head_len);
    g_auto(GStrv) words = g_strsplit(head, " ", 0);
    int t = -1;
    for (size_t i = 0; i < G_N_ELEMENTS(types) && words[0]; i++)
        if (strcmp(words[0], types[i].name) == 0)
            t = (int)i;
    if (t < 0) {
        *ret_error = "unknown message type";
        return false;
    }
    msg->type = types[t].type;
    if (nl) {
        msg->payload = nl + 1;
        msg->payload_len = len - head_len - 1;
    }
    if (!types[t].payload && nl) {
        *ret_error = "a payload on a message that has none";
        return false;
    }
    if (types[t].payload && msg->payload_len % 4) {
        *ret_error = "a payload that is not whole stereo S16 frames";
        return false;
    }
    unsigned have = 0;
    for (int i = 1; words[i]; i++) {
        if (!*words[i]) {
            why = "an empty word (two spaces)";
            break;
        }
        if (!parse_word(msg, words[i], &have, &why))
            break;
    }
    unsigned need = required(msg->type);
    if (!why && (have & need) != need)
        why = "a required key is missing";
    if (!why && (need & HAVE_NAME) && !name_ok(msg->name))
        why = "not a plain file name";
    if (!why && msg->type == SESSION_MSG_HELLO && msg->version == 0)
        why = "version 0";
    if (why) {
        session_msg_clear(msg);
        *ret_error = why;
        return false;
    }
    /* Keys this type does not have are ignored: drop what they set. */
    if (!(need & HAVE_NAME))
        g_clear_pointer(&msg->name, g_free);
    if (!(need & HAVE_SESSION))
        g_clear_pointer(&msg->session, g_free);
    if (!(need & HAVE_REASON))
        g_clear_pointer(&msg->reason, g_free);
    if (!(need & HAVE_VERSION))
        msg->version = 0;
    if (!(need & HAVE_ID))
        msg->id = 0;
    if (!(need & HAVE_ERR))
        msg->err = 0;
    if (!(need & HAVE_ON))
        msg->on = 0;
    return true;
}

static void add_u32(GString *s, const char *key, uint32_t v)
{
    g_string_append_printf(s, " %s=%u", key, v);
}

static void add_str(GString *s, const char *key, const char *v)
{
    g_autofree char *esc = g_uri_escape_string(v ? v : "", NULL, FALSE);
    g_string_append_printf(s, " %s=%s", key, esc);
}

uint8_t *session_proto_format(const struct session_msg *msg, size_t *ret_len)
{
    unsigned need = required(msg->type);
    if ((need & HAVE_NAME) && !name_ok(msg->name))
        return NULL;
    GString *s = g_string_new(session_msg_type_name(msg->type));
    if (need & HAVE_VERSION)
        add_u32(s, "version", msg->version);
    if (need & HAVE_ID)
        add_u32(s, "id", msg->id);
    if (need & HAVE_ERR)
        add_u32(s, "err", (uint32_t)(msg->err > 0 && msg->err < 4096 ? msg->err : 5));
    if (need & HAVE_ON)
        add_u32(s, "on", msg->on ? 1 : 0);
    if (need & HAVE_NAME)
        add_str(s, "name", msg->name);
    if (need & HAVE_SESSION)
        add_str(s, "session", msg->session);
    if (need & HAVE_REASON)
        add_str(s, "reason", msg->reason);
    if (s->len > SESSION_PROTO_MAX_HEAD) {
        g_string_free(s, TRUE);
        return NULL;
    }
    if (msg->type == SESSION_MSG_PCM || msg->type == SESSION_MSG_MIC) {
        if (msg->payload_len % 4 || s->len + 1 + msg->payload_len > SESSION_PROTO_MAX_MESSAGE) {
            g_string_free(s, TRUE);
            return NULL;
        }
        g_string_append_c(s, '\n');
        g_string_append_len(s, (const char *)msg->payload, (gssize)msg->payload_len);
    }
    *ret_len = s->len;
    return (uint8_t *)g_string_free(s, FALSE);
}
