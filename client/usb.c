#include "client/usb.h"

#include <errno.h>
#include <string.h>

struct usb {
    const struct settings *settings;
    SpiceUsbDeviceManager *manager;
    GCancellable *cancel;
    bool ready;
};

/* "SanDisk Cruzer [0781:5567]"; spice-gtk leaves a gap for a device
 * without a manufacturer string. */
static char *describe(SpiceUsbDevice *dev)
{
    return g_strstrip(spice_usb_device_get_description(dev, "%s %s %s"));
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) err = NULL;
    SpiceUsbDevice *dev = data;
    if (!spice_usb_device_manager_connect_device_finish(SPICE_USB_DEVICE_MANAGER(source), res,
                                                        &err)) {
        if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_autofree char *desc = describe(dev);
            g_printerr("thindesk: cannot redirect USB device %s: %s\n", desc, err->message);
        }
    }
    g_boxed_free(spice_usb_device_get_type(), dev);
}

static void redirect(struct usb *u, SpiceUsbDevice *dev)
{
    if (spice_usb_device_manager_is_device_connected(u->manager, dev))
        return;
    g_autoptr(GError) err = NULL;
    if (!spice_usb_device_manager_can_redirect_device(u->manager, dev, &err)) {
        g_autofree char *desc = describe(dev);
        g_printerr("thindesk: cannot redirect USB device %s: %s\n", desc,
                   err ? err->message : "not allowed");
        return;
    }
    spice_usb_device_manager_connect_device_async(u->manager, dev, u->cancel, on_connected,
                                                  g_boxed_copy(spice_usb_device_get_type(), dev));
}

static void on_device_added(SpiceUsbDeviceManager *manager, SpiceUsbDevice *dev, gpointer data)
{
    struct usb *u = data;
    if (u->ready && spice_usb_device_manager_is_device_shared_cd(manager, dev))
        redirect(u, dev);
}

struct usb *usb_create(const struct settings *s, SpiceSession *session)
{
    if (!s->usbredir || (!s->usb_redirect && !s->usb_auto_filter && !s->share_cd && s->headless))
        return NULL;
    g_autoptr(GError) err = NULL;
    SpiceUsbDeviceManager *manager = spice_usb_device_manager_get(session, &err);
    if (!manager) {
        if (s->usb_redirect || s->share_cd || s->usb_autoshare)
            g_printerr("thindesk: USB redirection is not available: %s\n",
                       err ? err->message : "unknown reason");
        return NULL;
    }
    struct usb *u = g_new0(struct usb, 1);
    u->settings = s;
    u->manager = g_object_ref(manager);
    u->cancel = g_cancellable_new();
    g_object_set(manager, "auto-connect", s->usb_autoshare && s->usb_auto_filter != NULL, NULL);
    if (s->usb_auto_filter)
        g_object_set(manager, "auto-connect-filter", s->usb_auto_filter, NULL);
    g_signal_connect(manager, "device-added", G_CALLBACK(on_device_added), u);
    return u;
}

void usb_destroy(struct usb *u)
{
    if (!u)
        return;
    g_cancellable_cancel(u->cancel);
    g_object_unref(u->cancel);
    g_signal_handlers_disconnect_by_data(u->manager, u);
    g_object_unref(u->manager);
    g_free(u);
}

void usb_session_ready(struct usb *u)
{
    if (!u || u->ready)
        return;
    u->ready = true;
    const struct settings *s = u->settings;
    if (s->usb_redirect) {
        g_autoptr(GPtrArray) devs =
            spice_usb_device_manager_get_devices_with_filter(u->manager, s->usb_redirect);
        if (!devs || devs->len == 0)
            g_printerr("thindesk: no local USB device matches --usb-redirect=%s\n",
                       s->usb_redirect);
        for (guint i = 0; devs && i < devs->len; i++)
            redirect(u, g_ptr_array_index(devs, i));
    }
    if (s->share_cd) {
        g_autoptr(GError) err = NULL;
        if (!spice_usb_device_manager_create_shared_cd_device(u->manager, s->share_cd, &err))
            g_printerr("thindesk: cannot share %s as a USB CD: %s\n", s->share_cd,
                       err ? err->message : "unknown reason");
    }
}

int usb_list_devices(FILE *out, char **ret_error)
{
    g_autoptr(GObject) session_obj = G_OBJECT(spice_session_new());
    SpiceSession *session = SPICE_SESSION(session_obj);
    g_object_set(session, "enable-usbredir", TRUE, NULL);
    g_autoptr(GError) err = NULL;
    SpiceUsbDeviceManager *manager = spice_usb_device_manager_get(session, &err);
    if (!manager) {
        *ret_error =
            g_strdup_printf("USB is not available: %s", err ? err->message : "unknown reason");
        return -ENODEV;
    }
    g_autoptr(GPtrArray) devs = spice_usb_device_manager_get_devices(manager);
    for (guint i = 0; devs && i < devs->len; i++) {
        g_autofree char *desc = spice_usb_device_get_description(
            g_ptr_array_index(devs, i), "%3$s bus %4$d address %5$d: %1$s %2$s");
        fprintf(out, "%s\n", desc);
    }
    if (!devs || devs->len == 0)
        fprintf(out, "no USB devices\n");
    return 0;
}
