#include "agent/pulse-server.h"

#include <glib.h>
#include <pulse/error.h>
#include <pulse/glib-mainloop.h>
#include <pulse/introspect.h>
#include <pulse/proplist.h>
#include <pulse/subscribe.h>
#include <string.h>

#define RETRY_MS            1000
#define SHUTDOWN_TIMEOUT_US (2 * G_USEC_PER_SEC)

enum step { STEP_SINK, STEP_MIC_SINK, STEP_MIC, STEP_DONE };

struct pulse_server {
    struct pulse_server_events ev;
    char *sink_name; /* NULL: our own "thindesk" */
    pa_glib_mainloop *mainloop;
    pa_context *ctx;
    guint retry;
    bool ready; /* devices set up, ready() was called */
    bool ever_connected;
    bool said_missing; /* "no sound server" was logged */
    enum step step;
    bool found;          /* result of the current lookup */
    bool loaded;         /* this step loaded its module already */
    bool mic_ok;         /* thindesk-mic exists */
    uint32_t sink_index; /* the sink we record, PA_INVALID_INDEX if none */
    uint32_t mic_index;  /* the source thindesk-mic */
    bool census_running, census_again;
    int n_playing, n_listening; /* counts of the census in progress */
    bool playing, listening;    /* last reported usage */
    char *monitor;              /* source the agent records */
    GArray *modules;            /* uint32_t indices of modules we loaded */
    bool mic_wanted;            /* thindesk-mic should be the default source */
    char *saved_source;         /* default source before we took it */
    int pending;                /* operations awaited at shutdown */
};

static void connect_now(struct pulse_server *ps);
static void on_event(pa_context *c, pa_subscription_event_type_t type, uint32_t idx, void *data);
static void setup_step(struct pulse_server *ps);
static void next_step(struct pulse_server *ps);

static const char *ctx_error(pa_context *c)
{
    return pa_strerror(pa_context_errno(c));
}

static void drop_op(pa_operation *op)
{
    if (op)
        pa_operation_unref(op);
}

/* --- connection and retries --- */

static gboolean on_retry(gpointer data)
{
    struct pulse_server *ps = data;
    ps->retry = 0;
    connect_now(ps);
    return G_SOURCE_REMOVE;
}

static void schedule_retry(struct pulse_server *ps)
{
    if (ps->ctx) {
        pa_context_set_state_callback(ps->ctx, NULL, NULL);
        pa_context_disconnect(ps->ctx);
        pa_context_unref(ps->ctx);
        ps->ctx = NULL;
    }
    if (!ps->retry)
        ps->retry = g_timeout_add(RETRY_MS, on_retry, ps);
}

static void connection_failed(struct pulse_server *ps, const char *why)
{
    if (ps->ready) {
        ps->ready = false;
        g_warning("audio: lost the sound server (%s); reconnecting", why);
        if (ps->ev.lost)
            ps->ev.lost(ps->ev.user_data);
    } else if (!ps->ever_connected && !ps->said_missing) {
        ps->said_missing = true;
        g_message(
            "audio: no sound server in this session (%s): serving without audio until one appears",
            why);
    }
    g_array_set_size(ps->modules, 0);
    g_clear_pointer(&ps->monitor, g_free);
    schedule_retry(ps);
}

static void on_state(pa_context *c, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    switch (pa_context_get_state(c)) {
    case PA_CONTEXT_READY:
        if (ps->said_missing || ps->ever_connected)
            g_message("audio: connected to the sound server");
        ps->ever_connected = true;
        ps->said_missing = false;
        ps->step = STEP_SINK;
        ps->loaded = false;
        ps->mic_ok = true;
        ps->sink_index = ps->mic_index = PA_INVALID_INDEX;
        ps->playing = ps->listening = false;
        ps->census_running = ps->census_again = false;
        pa_context_set_subscribe_callback(c, on_event, ps);
        drop_op(pa_context_subscribe(
            c, PA_SUBSCRIPTION_MASK_SINK_INPUT | PA_SUBSCRIPTION_MASK_SOURCE_OUTPUT, NULL, NULL));
        setup_step(ps);
        break;
    case PA_CONTEXT_FAILED:
    case PA_CONTEXT_TERMINATED:
        connection_failed(ps, ctx_error(c));
        break;
    default:
        break;
    }
}

static void connect_now(struct pulse_server *ps)
{
    pa_proplist *props = pa_proplist_new();
    pa_proplist_sets(props, PA_PROP_APPLICATION_NAME, "thindesk-agent");
    pa_proplist_sets(props, PA_PROP_APPLICATION_ID, "org.thindesk.agent");
    ps->ctx = pa_context_new_with_proplist(pa_glib_mainloop_get_api(ps->mainloop), "thindesk-agent",
                                           props);
    pa_proplist_free(props);
    if (!ps->ctx) {
        connection_failed(ps, "cannot create a libpulse context");
        return;
    }
    pa_context_set_state_callback(ps->ctx, on_state, ps);
    if (pa_context_connect(ps->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
        connection_failed(ps, ctx_error(ps->ctx));
}

/* --- device set-up: one lookup, then maybe one module load, per step --- */

static void step_failed(struct pulse_server *ps, const char *why);
static void next_step(struct pulse_server *ps);

static void on_module_loaded(pa_context *c, uint32_t idx, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    if (idx == PA_INVALID_INDEX) {
        step_failed(ps, ctx_error(c));
        return;
    }
    g_array_append_val(ps->modules, idx);
    ps->loaded = true;
    setup_step(ps); /* look it up again, now to learn its index */
}

/* A module of this step could not be loaded: go on without that device. */
static void step_failed(struct pulse_server *ps, const char *why)
{
    if (ps->step == STEP_SINK) {
        g_warning("audio: cannot create the sink thindesk (%s): clients get no desktop sound", why);
        g_clear_pointer(&ps->monitor, g_free);
        next_step(ps);
    } else {
        g_warning("audio: cannot create the source thindesk-mic (%s): the client's microphone stays off", why);
        ps->mic_ok = false;
        ps->step = STEP_DONE;
        ps->loaded = false;
        setup_step(ps);
    }
}

static void load_module(struct pulse_server *ps, const char *name, const char *args)
{
    g_debug("audio: load-module %s %s", name, args);
    drop_op(pa_context_load_module(ps->ctx, name, args, on_module_loaded, ps));
}

static void on_sink_info(pa_context *c, const pa_sink_info *info, int eol, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    if (info) {
        ps->found = true;
        if (ps->step == STEP_SINK) {
            g_free(ps->monitor);
            ps->monitor = g_strdup(info->monitor_source_name);
            ps->sink_index = info->index;
        }
        return;
    }
    if (!eol)
        return;
    if (ps->found) {
        next_step(ps);
    } else if (ps->loaded) {
        step_failed(ps, "its sink did not appear");
    } else if (ps->step == STEP_SINK && ps->sink_name) {
        g_warning("audio: the sound server has no sink named '%s' (--audio-sink): clients get no desktop sound; check 'pactl list short sinks'",
                  ps->sink_name);
        next_step(ps);
    } else if (ps->step == STEP_SINK) {
        load_module(ps, "module-null-sink",
                    "sink_name=" PULSE_SERVER_SINK " rate=48000 channels=2 format=s16le "
                    "sink_properties=device.description=thindesk");
    } else {
        load_module(ps, "module-null-sink",
                    "sink_name=" PULSE_SERVER_MIC_SINK " rate=48000 channels=2 format=s16le "
                    "sink_properties=device.description=thindesk-microphone-feed");
    }
}

static void on_source_info(pa_context *c, const pa_source_info *info, int eol, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    if (info) {
        ps->found = true;
        ps->mic_index = info->index;
        return;
    }
    if (!eol)
        return;
    if (ps->found) {
        next_step(ps);
        return;
    }
    if (ps->loaded) {
        step_failed(ps, "its source did not appear");
        return;
    }
    load_module(ps, "module-remap-source",
                "master=" PULSE_SERVER_MIC_SINK ".monitor source_name=" PULSE_SERVER_MIC
                " source_properties=device.description=thindesk-microphone");
}

static void apply_mic_default(struct pulse_server *ps);
static void census(struct pulse_server *ps);

static void next_step(struct pulse_server *ps)
{
    ps->step++;
    ps->loaded = false;
    setup_step(ps);
}

static void setup_step(struct pulse_server *ps)
{
    ps->found = false;
    switch (ps->step) {
    case STEP_SINK: {
        const char *name = ps->sink_name ? ps->sink_name : PULSE_SERVER_SINK;
        drop_op(pa_context_get_sink_info_by_name(ps->ctx, name, on_sink_info, ps));
        break;
    }
    case STEP_MIC_SINK:
        if (!ps->sink_name && ps->monitor)
            drop_op(pa_context_set_default_sink(ps->ctx, PULSE_SERVER_SINK, NULL, NULL));
        drop_op(pa_context_get_sink_info_by_name(ps->ctx, PULSE_SERVER_MIC_SINK, on_sink_info, ps));
        break;
    case STEP_MIC:
        drop_op(pa_context_get_source_info_by_name(ps->ctx, PULSE_SERVER_MIC, on_source_info, ps));
        break;
    case STEP_DONE:
        ps->ready = true;
        g_message("audio: sound server ready: desktop sound from %s, microphone as source %s",
                  ps->monitor ? ps->monitor : "(none)", ps->mic_ok ? PULSE_SERVER_MIC : "(none)");
        if (ps->ev.ready)
            ps->ev.ready(ps->ctx, ps->monitor, ps->mic_ok ? PULSE_SERVER_MIC_SINK : NULL,
                         ps->ev.user_data);
        if (ps->mic_wanted && ps->mic_ok)
            apply_mic_default(ps);
        census(ps);
        break;
    }
}

/* --- usage: who plays to our sink, who records from our microphone --- */

static void on_source_outputs(pa_context *c, const pa_source_output_info *info, int eol, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    if (info) {
        ps->n_listening += info->source == ps->mic_index;
        return;
    }
    ps->census_running = false;
    if (eol < 0)
        return;
    bool playing = ps->n_playing > 0, listening = ps->n_listening > 0;
    if (playing != ps->playing || listening != ps->listening) {
        ps->playing = playing;
        ps->listening = listening;
        g_debug("audio: %d stream(s) play to the desktop sink, %d record the microphone",
                ps->n_playing, ps->n_listening);
        if (ps->ev.usage)
            ps->ev.usage(playing, listening, ps->ev.user_data);
    }
    if (ps->census_again)
        census(ps);
}

static void on_sink_inputs(pa_context *c, const pa_sink_input_info *info, int eol, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx)
        return;
    if (info) {
        ps->n_playing += info->sink == ps->sink_index;
        return;
    }
    if (eol < 0) {
        ps->census_running = false;
        return;
    }
    drop_op(pa_context_get_source_output_info_list(c, on_source_outputs, ps));
}

/* Counts the streams on our devices; runs again if events came meanwhile. */
static void census(struct pulse_server *ps)
{
    if (!ps->ready)
        return;
    if (ps->census_running) {
        ps->census_again = true;
        return;
    }
    ps->census_running = true;
    ps->census_again = false;
    ps->n_playing = ps->n_listening = 0;
    drop_op(pa_context_get_sink_input_info_list(ps->ctx, on_sink_inputs, ps));
}

static void on_event(pa_context *c, pa_subscription_event_type_t type, uint32_t idx, void *data)
{
    struct pulse_server *ps = data;
    if (c == ps->ctx)
        census(ps);
}

/* --- default source --- */

static void on_server_info(pa_context *c, const pa_server_info *info, void *data)
{
    struct pulse_server *ps = data;
    if (c != ps->ctx || !info || !ps->mic_wanted)
        return;
    if (info->default_source_name && strcmp(info->default_source_name, PULSE_SERVER_MIC) != 0) {
        g_free(ps->saved_source);
        ps->saved_source = g_strdup(info->default_source_name);
    }
    drop_op(pa_context_set_default_source(c, PULSE_SERVER_MIC, NULL, NULL));
}

static void on_op_done(pa_context *c, int success, void *data)
{
    struct pulse_server *ps = data;
    ps->pending--;
}

static void restore_source(struct pulse_server *ps, bool track)
{
    if (!ps->saved_source)
        return;
    g_debug("audio: default source back to %s", ps->saved_source);
    pa_operation *op =
        pa_context_set_default_source(ps->ctx, ps->saved_source, track ? on_op_done : NULL, ps);
    if (op && track)
        ps->pending++;
    drop_op(op);
    g_clear_pointer(&ps->saved_source, g_free);
}

static void apply_mic_default(struct pulse_server *ps)
{
    if (ps->mic_wanted)
        drop_op(pa_context_get_server_info(ps->ctx, on_server_info, ps));
    else
        restore_source(ps, false);
}

void pulse_server_set_mic_default(struct pulse_server *ps, bool on)
{
    if (!ps || ps->mic_wanted == on)
        return;
    ps->mic_wanted = on;
    if (ps->ready && ps->mic_ok)
        apply_mic_default(ps);
}

void pulse_server_restart_mic_sink(struct pulse_server *ps)
{
    if (!ps || !ps->ready || !ps->mic_ok)
        return;
    /* The context runs operations in order: suspended, then running again. */
    for (int suspend = 1; suspend >= 0; suspend--) {
        pa_operation *op =
            pa_context_suspend_sink_by_name(ps->ctx, PULSE_SERVER_MIC_SINK, suspend, NULL, NULL);
        if (op)
            pa_operation_unref(op);
    }
}

/* --- lifecycle --- */

struct pulse_server *pulse_server_create(const char *sink, const struct pulse_server_events *ev)
{
    struct pulse_server *ps = g_new0(struct pulse_server, 1);
    if (ev)
        ps->ev = *ev;
    ps->sink_name = g_strdup(sink);
    ps->modules = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    ps->mainloop = pa_glib_mainloop_new(NULL);
    connect_now(ps);
    return ps;
}

void pulse_server_destroy(struct pulse_server *ps)
{
    if (!ps)
        return;
    if (ps->retry)
        g_source_remove(ps->retry);
    if (ps->ctx && pa_context_get_state(ps->ctx) == PA_CONTEXT_READY) {
        if (ps->mic_wanted)
            restore_source(ps, true);
        /* Newest first: the remap source before the sink it reads. */
        for (guint i = ps->modules->len; i-- > 0;) {
            uint32_t idx = g_array_index(ps->modules, uint32_t, i);
            pa_operation *op = pa_context_unload_module(ps->ctx, idx, on_op_done, ps);
            if (op)
                ps->pending++;
            drop_op(op);
        }
        gint64 deadline = g_get_monotonic_time() + SHUTDOWN_TIMEOUT_US;
        while (ps->pending > 0 && pa_context_get_state(ps->ctx) == PA_CONTEXT_READY &&
               g_get_monotonic_time() < deadline)
            if (!g_main_context_iteration(NULL, FALSE))
                g_usleep(1000);
    }
    if (ps->ctx) {
        pa_context_set_state_callback(ps->ctx, NULL, NULL);
        pa_context_disconnect(ps->ctx);
        pa_context_unref(ps->ctx);
    }
    pa_glib_mainloop_free(ps->mainloop);
    g_array_free(ps->modules, TRUE);
    g_free(ps->saved_source);
    g_free(ps->monitor);
    g_free(ps->sink_name);
    g_free(ps);
}
