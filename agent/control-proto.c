#include "agent/control-proto.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static bool command_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONTROL_MAX_COMMAND)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-')
            return false;
    return true;
}

/* Deepest nesting of arrays and objects in @line: the parser recurses. */
static int nesting_depth(const char *line, size_t len)
{
    int depth = 0, max = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

int control_request_parse(const char *line, size_t len, struct control_request *ret,
                          char **ret_error)
{
    memset(ret, 0, sizeof(*ret));
    if (len > CONTROL_MAX_LINE) {
        *ret_error = g_strdup_printf("request too long (%zu bytes, at most %d)", len,
                                     CONTROL_MAX_LINE);
        return -EINVAL;
    }
    if (memchr(line, '\0', len)) {
        *ret_error = g_strdup("request contains a NUL byte");
        return -EINVAL;
    }
    if (!g_utf8_validate(line, (gssize)len, NULL)) {
        *ret_error = g_strdup("request is not valid UTF-8");
        return -EINVAL;
    }
    if (nesting_depth(line, len) > CONTROL_MAX_DEPTH) {
        *ret_error = g_strdup_printf("request nested deeper than %d levels", CONTROL_MAX_DEPTH);
        return -EINVAL;
    }
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) gerr = NULL;
    if (!json_parser_load_from_data(parser, line, (gssize)len, &gerr)) {
        *ret_error = g_strdup_printf("malformed JSON: %s", gerr->message);
        return -EINVAL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        *ret_error = g_strdup("a request must be a JSON object like {\"command\": \"status\"}");
        return -EINVAL;
    }
    JsonObject *obj = json_node_get_object(root);
    JsonNode *id = json_object_get_member(obj, "id");
    if (id)
        ret->id = json_node_copy(id);
    JsonNode *cmd = json_object_get_member(obj, "command");
    if (!cmd || !JSON_NODE_HOLDS_VALUE(cmd) || json_node_get_value_type(cmd) != G_TYPE_STRING) {
        *ret_error = g_strdup("missing \"command\" (a string)");
        return -EINVAL;
    }
    const char *name = json_node_get_string(cmd);
    if (!command_name_ok(name)) {
        *ret_error = g_strdup("invalid command name (lower-case letters, digits and dashes)");
        return -EINVAL;
    }
    ret->command = g_strdup(name);
    ret->args = json_object_ref(obj);
    return 0;
}

void control_request_clear(struct control_request *r)
{
    g_clear_pointer(&r->command, g_free);
    g_clear_pointer(&r->args, json_object_unref);
    g_clear_pointer(&r->id, json_node_unref);
}

int control_parse_set_password(JsonObject *args, char **ret_password, int64_t *ret_expires,
                               char **ret_error)
{
    JsonNode *pw = json_object_get_member(args, "password");
    if (!pw || !JSON_NODE_HOLDS_VALUE(pw) || json_node_get_value_type(pw) != G_TYPE_STRING) {
        *ret_error = g_strdup("set-password needs \"password\" (a string)");
        return -EINVAL;
    }
    const char *password = json_node_get_string(pw);
    size_t n = strlen(password);
    if (n == 0 || n > CONTROL_MAX_PASSWORD) {
        *ret_error = g_strdup_printf("the password must have 1 to %d bytes", CONTROL_MAX_PASSWORD);
        return -EINVAL;
    }
    int64_t expires = 0;
    JsonNode *ex = json_object_get_member(args, "expires");
    if (ex && !JSON_NODE_HOLDS_NULL(ex)) {
        if (!JSON_NODE_HOLDS_VALUE(ex) || json_node_get_value_type(ex) != G_TYPE_INT64) {
            *ret_error = g_strdup("\"expires\" must be a whole number of seconds");
            return -EINVAL;
        }
        expires = json_node_get_int(ex);
        if (expires < 0 || expires > CONTROL_MAX_EXPIRES) {
            *ret_error = g_strdup_printf("\"expires\" must be 0 (never) to %d seconds",
                                         CONTROL_MAX_EXPIRES);
            return -EINVAL;
        }
    }
    *ret_password = g_strdup(password);
    *ret_expires = expires;
    return 0;
}

static char *to_line(JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    return g_strconcat(text, "\n", NULL);
}

static void add_fields(JsonBuilder *b, JsonObject *fields)
{
    if (!fields)
        return;
    JsonObjectIter iter;
    const char *name;
    JsonNode *node;
    json_object_iter_init(&iter, fields);
    while (json_object_iter_next(&iter, &name, &node)) {
        json_builder_set_member_name(b, name);
        json_builder_add_value(b, json_node_copy(node));
    }
}

static void add_id(JsonBuilder *b, const JsonNode *id)
{
    if (!id)
        return;
    json_builder_set_member_name(b, "id");
    json_builder_add_value(b, json_node_copy((JsonNode *)id));
}

char *control_reply_ok(const JsonNode *id, JsonObject *fields)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, TRUE);
    add_id(b, id);
    add_fields(b, fields);
    json_builder_end_object(b);
    return to_line(b);
}

char *control_reply_error(const JsonNode *id, const char *message)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, FALSE);
    add_id(b, id);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, message);
    json_builder_end_object(b);
    return to_line(b);
}

char *control_event_line(const char *event, JsonObject *fields)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, event);
    add_fields(b, fields);
    json_builder_end_object(b);
    return to_line(b);
}
