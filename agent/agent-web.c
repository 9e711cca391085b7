/* agent-web: the browser client in the composition root: the HTTPS server,
 * its display pump, one viewer at a time between browsers and SPICE
 * clients, the login link in the banner and `ctl web-url`. */
#include "agent/agent-priv.h"

#include "agent/web/web-login.h"
#include "agent/web/web-pump.h"
#include "agent/web/web-server.h"

/* Random characters in a login link's token. */
#define WEB_TOKEN_LENGTH 24

static bool check_password(const char *password, void *data)
{
    struct agent *a = data;
    return a->password && web_login_secret_equal(a->password, password);
}

static void on_web_viewer(bool present, const char *address, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    g_autoptr(JsonObject) ev = json_object_new();
    json_object_set_string_member(ev, "address", address);
    control_emit_event(a->control, present ? "web-viewer-connected" : "web-viewer-disconnected",
                       ev);
    if (present) {
        /* One interactive viewer: the browser takes over from a SPICE
         * client. Stop its pump first, so both never share the damage. */
        if (a->pump)
            frame_pump_set_active(a->pump, false);
        if (a->vpump)
            stream_pump_set_active(a->vpump, false);
        if (a->client_address) {
            g_message("web viewer %s takes over from SPICE client %s", address,
                      a->client_address);
            server_disconnect(a->server);
        }
    } else {
        spice_input_client_gone(a->input);
    }
    web_pump_set_active(a->wpump, present);
    agent_web_io_viewer(a, present);
}

void agent_web_spice_client(struct agent *a, bool connected)
{
    if (!a->web)
        return;
    if (connected && web_server_has_viewer(a->web)) {
        g_message("SPICE client takes over from the web viewer");
        web_server_end_viewer(a->web, WEB_BYE_TAKEN_OVER,
                              "A SPICE client connected to this desktop and took it over.");
    } else if (!connected && web_pump_is_active(a->wpump)) {
        /* The SPICE pump stopped the capture on its way out. */
        capture_start(a->capture);
        web_pump_kick(a->wpump);
    }
}

char *agent_web_new_url(struct agent *a, int seconds)
{
    g_autofree char *token = password_generate(WEB_TOKEN_LENGTH);
    if (!token)
        return NULL;
    g_autofree char *host = agent_connect_host(a->opts->web_listen_host);
    char *url = web_server_add_token(a->web, host, token, seconds);
    memset(token, 0, strlen(token));
    return url;
}

static bool cmd_web_url(JsonObject *args, JsonObject *reply, char **ret_error, void *data)
{
    struct agent *a = data;
    if (!a->web) {
        *ret_error = g_strdup("the browser client is off (start the agent with --web-listen=ADDR:PORT)");
        return false;
    }
    gint64 seconds = a->opts->web_token_seconds;
    if (args && json_object_has_member(args, "seconds")) {
        JsonNode *n = json_object_get_member(args, "seconds");
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
            json_node_get_int(n) < 1 || json_node_get_int(n) > 86400) {
            *ret_error = g_strdup("seconds must be a number from 1 to 86400");
            return false;
        }
        seconds = json_node_get_int(n);
    }
    g_autofree char *url = agent_web_new_url(a, (int)seconds);
    if (!url) {
        *ret_error = g_strdup("no system randomness for a token");
        return false;
    }
    g_message("web: one-time login link made through the control socket, valid %" G_GINT64_FORMAT " s",
              seconds);
    json_object_set_string_member(reply, "url", url);
    json_object_set_int_member(reply, "expires", seconds);
    return true;
}

bool agent_start_web(struct agent *a, char **ret_error)
{
    const struct agent_options *o = a->opts;
    if (o->web_listen_port <= 0)
        return true;
    const struct web_server_config wc = {
        .host = o->web_listen_host,
        .port = o->web_listen_port,
        .cert_file = tls_identity_cert_file(a->tls),
        .key_file = tls_identity_key_file(a->tls),
        .origins = o->web_origins,
        .view_only = o->view_only,
    };
    const struct web_server_events ev = {
        .viewer = on_web_viewer, .check_password = check_password, .data = a};
    a->web = web_server_create(&wc, &ev, server_auth_guard(), ret_error);
    if (!a->web)
        return false;
    uint8_t flags = (o->view_only ? WEB_HELLO_VIEW_ONLY : 0) | agent_web_io_hello_flags(o);
    const struct web_pump_config pc = {
        .max_fps = o->max_fps, .copy_detection = o->copy_detection, .hello_flags = flags};
    a->wpump = web_pump_create(a->capture, a->web, &pc, ret_error);
    if (!a->wpump)
        return false;
    control_add_command(a->control, "web-url", cmd_web_url, a);
    return true;
}

void agent_print_web_banner(struct agent *a)
{
    if (!a->web)
        return;
    g_autofree char *url = agent_web_new_url(a, a->opts->web_token_seconds);
    if (a->opts->tls_listen_port <= 0)
        printf("thindesk-agent: browser certificate SHA-256 fingerprint: %s\n",
               tls_identity_fingerprint(a->tls));
    if (url)
        printf("thindesk-agent: browser: open %s (one login, valid %d s; later ones: thindesk-agent ctl web-url, or the password)\n",
               url, a->opts->web_token_seconds);
}

void agent_stop_web(struct agent *a)
{
    g_clear_pointer(&a->wpump, web_pump_destroy);
    g_clear_pointer(&a->web, web_server_destroy);
}
