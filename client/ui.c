#include "client/ui.h"

#include <gtk/gtk.h>
#include <spice-client-gtk.h>
#include <string.h>

#include "client/connection.h"
#include "client/hotkey.h"

struct ui_window {
    struct ui *ui;
    int channel_id, monitor_id;
    GtkWidget *window, *stack, *status, *headline, *reason;
    GtkWidget *display; /* SpiceDisplay of the current connection, or NULL */
    bool fullscreen;
};

struct ui {
    const struct settings *s;
    struct ui_callbacks cb;
    void *data;
    GPtrArray *windows; /* struct ui_window*, [0] always exists */
    struct connection *conn;
    GObject *audio;              /* SpiceAudio of the current session */
    bool playback_ok, record_ok; /* GStreamer has what SpiceAudio needs */
    GPtrArray *hooked;           /* SpiceChannel* with our handlers, with a reference */
    bool ready;
    struct hotkey admin, toggle_fullscreen, release_cursor;
    bool have_admin, have_toggle, have_release;
    GtkWidget *password_dialog;
    GtkWidget *fatal_dialog;
    enum exit_status fatal_status;
};

static const char css[] = ".thindesk-status { background-color: #1d2430; }"
                          ".thindesk-status label { color: #e8ecf2; }"
                          ".thindesk-headline { font-size: 28px; font-weight: bold; }"
                          ".thindesk-reason { font-size: 16px; }";

static void window_set_fullscreen(struct ui_window *w, bool on)
{
    w->fullscreen = on;
    GdkDisplay *display = gtk_widget_get_display(w->window);
    int n = gdk_display_get_n_monitors(display);
    GdkMonitor *mon = gdk_display_get_monitor(display, w->monitor_id < n ? w->monitor_id : 0);
    if (on) {
        GdkRectangle geo;
        gdk_monitor_get_geometry(mon, &geo);
        /* Without a window manager fullscreen() is only a hint: place the
         * window over the monitor ourselves as well. */
        gtk_window_move(GTK_WINDOW(w->window), geo.x, geo.y);
        gtk_window_resize(GTK_WINDOW(w->window), geo.width, geo.height);
        gtk_window_fullscreen_on_monitor(GTK_WINDOW(w->window), gtk_widget_get_screen(w->window),
                                         w->monitor_id < n ? w->monitor_id : 0);
    } else {
        gtk_window_unfullscreen(GTK_WINDOW(w->window));
    }
}

static gboolean on_delete(GtkWidget *widget, GdkEvent *event, gpointer data)
{
    struct ui_window *w = data;
    if (w->ui->s->kiosk)
        return TRUE; /* a kiosk cannot be closed */
    w->ui->cb.quit(EXIT_STATUS_OK, w->ui->data);
    return TRUE;
}

static gboolean on_key(GtkWidget *widget, GdkEventKey *event, gpointer data)
{
    struct ui_window *w = data;
    struct ui *ui = w->ui;
    g_debug("key %s (keycode %u, state 0x%x)", gdk_keyval_name(event->keyval),
            event->hardware_keycode, event->state);
    if (ui->s->kiosk) {
        if (ui->have_admin && hotkey_matches(&ui->admin, event)) {
            g_printerr("thindesk: admin hotkey pressed, leaving kiosk mode\n");
            ui->cb.quit(EXIT_STATUS_OK, ui->data);
            return TRUE;
        }
        return FALSE;
    }
    if (ui->have_toggle && hotkey_matches(&ui->toggle_fullscreen, event)) {
        window_set_fullscreen(w, !w->fullscreen);
        return TRUE;
    }
    return FALSE;
}

static char *window_title(struct ui *ui, int monitor)
{
    const char *base = ui->s->title;
    g_autofree char *def = g_strdup_printf("thindesk - %s", ui->s->host);
    if (monitor == 0)
        return g_strdup(base ? base : def);
    return g_strdup_printf("%s (monitor %d)", base ? base : def, monitor + 1);
}

static struct ui_window *window_new(struct ui *ui, int channel_id, int monitor_id)
{
    struct ui_window *w = g_new0(struct ui_window, 1);
    w->ui = ui;
    w->channel_id = channel_id;
    w->monitor_id = monitor_id;
    w->window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    g_autofree char *title = window_title(ui, (int)ui->windows->len);
    gtk_window_set_title(GTK_WINDOW(w->window), title);
    gtk_window_set_role(GTK_WINDOW(w->window), "thindesk-display");
    gtk_window_set_default_size(GTK_WINDOW(w->window), 800, 600);
    if (ui->s->kiosk) {
        gtk_window_set_decorated(GTK_WINDOW(w->window), FALSE);
        gtk_window_set_deletable(GTK_WINDOW(w->window), FALSE);
        gtk_window_set_keep_above(GTK_WINDOW(w->window), TRUE);
    }
    g_signal_connect(w->window, "delete-event", G_CALLBACK(on_delete), w);
    g_signal_connect(w->window, "key-press-event", G_CALLBACK(on_key), w);

    w->stack = gtk_stack_new();
    w->status = gtk_box_new(GTK_ORIENTATION_VERTICAL, 16);
    gtk_style_context_add_class(gtk_widget_get_style_context(w->status), "thindesk-status");
    w->headline = gtk_label_new("Connecting…");
    gtk_style_context_add_class(gtk_widget_get_style_context(w->headline), "thindesk-headline");
    w->reason = gtk_label_new("");
    gtk_label_set_line_wrap(GTK_LABEL(w->reason), TRUE);
    gtk_style_context_add_class(gtk_widget_get_style_context(w->reason), "thindesk-reason");
    gtk_widget_set_valign(w->status, GTK_ALIGN_FILL);
    GtkWidget *spacer_top = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *spacer_bottom = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_widget_set_vexpand(spacer_top, TRUE);
    gtk_widget_set_vexpand(spacer_bottom, TRUE);
    gtk_box_pack_start(GTK_BOX(w->status), spacer_top, TRUE, TRUE, 0);
    gtk_box_pack_start(GTK_BOX(w->status), w->headline, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(w->status), w->reason, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(w->status), spacer_bottom, TRUE, TRUE, 0);
    gtk_stack_add_named(GTK_STACK(w->stack), w->status, "status");
    gtk_container_add(GTK_CONTAINER(w->window), w->stack);
    /* Placed before it maps, so it never shows at the default size first. */
    if (ui->s->fullscreen)
        window_set_fullscreen(w, true);
    gtk_widget_show_all(w->window);
    g_ptr_array_add(ui->windows, w);
    return w;
}

static void window_free(gpointer p)
{
    struct ui_window *w = p;
    gtk_widget_destroy(w->window);
    g_free(w);
}

struct ui *ui_create(const struct settings *s, const struct ui_callbacks *cb, void *data)
{
    struct ui *ui = g_new0(struct ui, 1);
    ui->s = s;
    ui->cb = *cb;
    ui->data = data;
    ui->windows = g_ptr_array_new_with_free_func(window_free);
    ui->hooked = g_ptr_array_new_with_free_func(g_object_unref);
    ui->have_admin = s->admin_hotkey && hotkey_parse(s->admin_hotkey, &ui->admin);
    ui->have_toggle =
        s->toggle_fullscreen && hotkey_parse(s->toggle_fullscreen, &ui->toggle_fullscreen);
    ui->have_release = s->release_cursor && hotkey_parse(s->release_cursor, &ui->release_cursor);
    if (s->admin_hotkey && !ui->have_admin)
        g_printerr("thindesk: cannot understand --admin-hotkey=%s (example: ctrl+alt+shift+F12)\n",
                   s->admin_hotkey);
    if (s->toggle_fullscreen && !ui->have_toggle)
        g_printerr("thindesk: cannot understand toggle-fullscreen=%s (example: shift+F11)\n",
                   s->toggle_fullscreen);
    if (s->release_cursor && !ui->have_release)
        g_printerr("thindesk: cannot understand release-cursor=%s (example: shift+F12)\n",
                   s->release_cursor);

    g_autoptr(GtkCssProvider) provider = gtk_css_provider_new();
    gtk_css_provider_load_from_data(provider, css, -1, NULL);
    gtk_style_context_add_provider_for_screen(gdk_screen_get_default(),
                                              GTK_STYLE_PROVIDER(provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    window_new(ui, 0, 0);
    return ui;
}

void ui_destroy(struct ui *ui)
{
    if (!ui)
        return;
    ui_detach(ui);
    g_ptr_array_unref(ui->hooked);
    /* The dialogs are not destroyed with their parent window: without this
     * their "response" would reach a freed ui. */
    if (ui->password_dialog) {
        g_signal_handlers_disconnect_by_data(ui->password_dialog, ui);
        gtk_widget_destroy(ui->password_dialog);
    }
    if (ui->fatal_dialog) {
        g_signal_handlers_disconnect_by_data(ui->fatal_dialog, ui);
        gtk_widget_destroy(ui->fatal_dialog);
    }
    g_ptr_array_unref(ui->windows);
    g_free(ui);
}

static struct ui_window *find_window(struct ui *ui, int channel_id, int monitor_id)
{
    for (guint i = 0; i < ui->windows->len; i++) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        if (w->channel_id == channel_id && w->monitor_id == monitor_id)
            return w;
    }
    return NULL;
}

/* Where the guest shows @w's monitor: its entry in the display channel's
 * monitors config, or the whole primary surface before there is one. */
static bool window_guest_geometry(struct ui_window *w, GdkRectangle *geo)
{
    SpiceChannel *ch = w->ui->conn ? connection_get_display(w->ui->conn, w->channel_id) : NULL;
    if (!ch)
        return false;
    g_autoptr(GArray) monitors = NULL;
    g_object_get(ch, "monitors", &monitors, NULL);
    if (monitors && (guint)w->monitor_id < monitors->len) {
        SpiceDisplayMonitorConfig *m =
            &g_array_index(monitors, SpiceDisplayMonitorConfig, w->monitor_id);
        *geo = (GdkRectangle){(int)m->x, (int)m->y, (int)m->width, (int)m->height};
        return geo->width > 0 && geo->height > 0;
    }
    SpiceDisplayPrimary p;
    if (w->monitor_id != 0 || !spice_display_channel_get_primary(ch, 0, &p))
        return false;
    *geo = (GdkRectangle){0, 0, p.width, p.height};
    return true;
}

/* A window (not full screen) takes its monitor's size, one to one. With
 * several monitors each window goes where its monitor is in the guest's
 * layout, so the desktop reads across them as it does on the guest. */
static void window_fit(struct ui_window *w)
{
    GdkRectangle geo;
    if (w->fullscreen || !window_guest_geometry(w, &geo))
        return;
    gtk_window_resize(GTK_WINDOW(w->window), geo.width, geo.height);
    if (w->ui->windows->len > 1)
        gtk_window_move(GTK_WINDOW(w->window), geo.x, geo.y);
}

static void attach_display(struct ui *ui, int channel_id, int monitor_id)
{
    struct ui_window *w = find_window(ui, channel_id, monitor_id);
    if (!w)
        w = window_new(ui, channel_id, monitor_id);
    if (w->display)
        return;
    SpiceDisplay *d =
        spice_display_new_with_monitor(connection_get_session(ui->conn), channel_id, monitor_id);
    g_object_set(d, "grab-keyboard", TRUE, "grab-mouse", TRUE, "resize-guest", FALSE, "scaling",
                 TRUE, NULL);
    guint keysyms[5];
    struct hotkey *grab = ui->s->kiosk ? (ui->have_admin ? &ui->admin : NULL)
                                       : (ui->have_release ? &ui->release_cursor : NULL);
    if (grab) {
        guint n = hotkey_keysyms(grab, keysyms);
        SpiceGrabSequence *seq = spice_grab_sequence_new(n, keysyms);
        spice_display_set_grab_keys(d, seq);
        spice_grab_sequence_free(seq);
    }
    w->display = GTK_WIDGET(d);
    gtk_stack_add_named(GTK_STACK(w->stack), w->display, "desktop");
    gtk_widget_show(w->display);
    if (ui->ready)
        gtk_stack_set_visible_child(GTK_STACK(w->stack), w->display);
}

static void on_monitors(GObject *channel, GParamSpec *pspec, gpointer data)
{
    struct ui *ui = data;
    g_autoptr(GArray) monitors = NULL;
    int id = 0;
    g_object_get(channel, "monitors", &monitors, "channel-id", &id, NULL);
    guint n = monitors ? monitors->len : 0;
    for (guint i = 0; i < n; i++)
        attach_display(ui, id, (int)i);
    /* Monitors the guest turned off lose their window; the first window of
     * the first channel stays (it carries the status page). */
    for (guint i = ui->windows->len; i-- > 1;) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        if (w->channel_id == id && w->monitor_id >= (int)MAX(n, 1))
            g_ptr_array_remove_index(ui->windows, i);
    }
    if (!ui->ready)
        return;
    for (guint i = 0; i < ui->windows->len; i++) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        if (w->channel_id == id)
            window_fit(w);
    }
}

void ui_set_audio(struct ui *ui, bool playback, bool record)
{
    ui->playback_ok = playback;
    ui->record_ok = record;
}

/* SpiceAudio takes every audio channel that is still unconnected from its
 * own "channel-new" handler, which runs after ours. One whose pipeline it
 * could not build (it would push every packet into a NULL appsrc) stays
 * unconnected: stopping the emission keeps SpiceAudio off it. The others
 * the connection connects, as before (see the note in ui.h). */
static bool audio_channel_new(struct ui *ui, SpiceChannel *channel)
{
    bool ok = SPICE_IS_PLAYBACK_CHANNEL(channel) ? ui->playback_ok : ui->record_ok;
    if (!ui->audio || ok)
        return false;
    g_signal_stop_emission_by_name(connection_get_session(ui->conn), "channel-new");
    return true;
}

bool ui_channel_new(struct ui *ui, struct connection *c, SpiceChannel *channel)
{
    ui->conn = c;
    if (SPICE_IS_PLAYBACK_CHANNEL(channel) || SPICE_IS_RECORD_CHANNEL(channel))
        return audio_channel_new(ui, channel);
    if (SPICE_IS_MAIN_CHANNEL(channel)) {
        /* Clipboard sharing with the desktop, and audio both ways. */
        spice_gtk_session_get(connection_get_session(c));
        if (ui->s->audio && !ui->audio)
            ui->audio = G_OBJECT(spice_audio_get(connection_get_session(c), NULL));
    } else if (SPICE_IS_DISPLAY_CHANNEL(channel)) {
        int id = 0;
        g_object_get(channel, "channel-id", &id, NULL);
        attach_display(ui, id, 0);
        g_signal_connect(channel, "notify::monitors", G_CALLBACK(on_monitors), ui);
        g_ptr_array_add(ui->hooked, g_object_ref(channel));
    }
    return false;
}

void ui_ready(struct ui *ui)
{
    ui->ready = true;
    for (guint i = 0; i < ui->windows->len; i++) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        if (!w->display)
            continue;
        gtk_stack_set_visible_child(GTK_STACK(w->stack), w->display);
        window_fit(w);
        gtk_widget_grab_focus(w->display);
    }
}

void ui_detach(struct ui *ui)
{
    ui->ready = false;
    for (guint i = 0; i < ui->windows->len; i++) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        gtk_stack_set_visible_child(GTK_STACK(w->stack), w->status);
        if (w->display) {
            gtk_widget_destroy(w->display);
            w->display = NULL;
        }
    }
    for (guint i = 0; i < ui->hooked->len; i++)
        g_signal_handlers_disconnect_by_data(g_ptr_array_index(ui->hooked, i), ui);
    g_ptr_array_set_size(ui->hooked, 0);
    ui->audio = NULL; /* owned by its session */
    ui->conn = NULL;
}

void ui_show_status(struct ui *ui, const char *headline, const char *reason)
{
    for (guint i = 0; i < ui->windows->len; i++) {
        struct ui_window *w = g_ptr_array_index(ui->windows, i);
        gtk_label_set_text(GTK_LABEL(w->headline), headline);
        gtk_label_set_text(GTK_LABEL(w->reason), reason ? reason : "");
        if (!ui->ready)
            gtk_stack_set_visible_child(GTK_STACK(w->stack), w->status);
    }
}

static void on_password_response(GtkDialog *dialog, gint response, gpointer data)
{
    struct ui *ui = data;
    GtkWidget *entry = g_object_get_data(G_OBJECT(dialog), "entry");
    g_autofree char *pw =
        response == GTK_RESPONSE_OK ? g_strdup(gtk_entry_get_text(GTK_ENTRY(entry))) : NULL;
    gtk_widget_destroy(GTK_WIDGET(dialog));
    ui->password_dialog = NULL;
    ui->cb.password(pw, ui->data);
}

void ui_ask_password(struct ui *ui, const char *reason)
{
    struct ui_window *w = g_ptr_array_index(ui->windows, 0);
    ui_show_status(ui, "Password needed", reason);
    if (ui->password_dialog)
        return;
    GtkWidget *d =
        gtk_dialog_new_with_buttons("Password", GTK_WINDOW(w->window), GTK_DIALOG_MODAL, "_Cancel",
                                    GTK_RESPONSE_CANCEL, "_Connect", GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_OK);
    GtkWidget *box = gtk_dialog_get_content_area(GTK_DIALOG(d));
    g_autofree char *text =
        g_strdup_printf("Password for %s:", ui->s->title ? ui->s->title : ui->s->host);
    GtkWidget *label = gtk_label_new(text);
    GtkWidget *entry = gtk_entry_new();
    gtk_entry_set_visibility(GTK_ENTRY(entry), FALSE);
    gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 6);
    gtk_box_pack_start(GTK_BOX(box), entry, FALSE, FALSE, 6);
    g_object_set_data(G_OBJECT(d), "entry", entry);
    g_signal_connect(d, "response", G_CALLBACK(on_password_response), ui);
    ui->password_dialog = d;
    gtk_widget_show_all(d);
}

static void on_fatal_response(GtkDialog *dialog, gint response, gpointer data)
{
    struct ui *ui = data;
    gtk_widget_destroy(GTK_WIDGET(dialog));
    ui->fatal_dialog = NULL;
    ui->cb.quit(ui->fatal_status, ui->data);
}

void ui_fatal(struct ui *ui, enum exit_status status, const char *message)
{
    struct ui_window *w = g_ptr_array_index(ui->windows, 0);
    ui_show_status(ui, "Disconnected", message);
    if (ui->fatal_dialog)
        gtk_widget_destroy(ui->fatal_dialog);
    GtkWidget *d = gtk_message_dialog_new(GTK_WINDOW(w->window), GTK_DIALOG_MODAL,
                                          GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", message);
    gtk_window_set_title(GTK_WINDOW(d), "thindesk");
    ui->fatal_status = status;
    ui->fatal_dialog = d;
    g_signal_connect(d, "response", G_CALLBACK(on_fatal_response), ui);
    gtk_widget_show_all(d);
}
