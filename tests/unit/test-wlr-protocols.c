/* The wire format of our own wlroots protocol XML (input/protocols,
 * display/protocols), pinned against the protocols' documentation: each
 * message's opcode (its place in the list), argument types and the version
 * that introduced it. A reordered or mistyped entry in the XML would still
 * compile and then talk nonsense to the compositor; this catches it. The
 * integration tests prove the same definitions against real sway. */
#include <glib.h>
#include <string.h>
#include <wayland-client.h>

#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-data-control-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

struct expect {
    const char *name;
    const char *signature; /* wayland's: since-version prefix, ? nullable */
};

static void check(const struct wl_interface *iface, const char *name, int version,
                  const struct wl_message *msgs, int n, const struct expect *want, int n_want)
{
    /* @name is the C symbol: the protocol name plus "_interface". */
    g_autofree char *protocol_name = g_strndup(name, strlen(name) - strlen("_interface"));
    g_assert_cmpstr(iface->name, ==, protocol_name);
    g_assert_cmpint(iface->version, ==, version);
    g_assert_cmpint(n, ==, n_want);
    for (int i = 0; i < n; i++) {
        g_test_message("%s opcode %d: %s %s", name, i, msgs[i].name, msgs[i].signature);
        g_assert_cmpstr(msgs[i].name, ==, want[i].name);
        g_assert_cmpstr(msgs[i].signature, ==, want[i].signature);
    }
}

#define CHECK_REQUESTS(iface, version, ...)                                                        \
    do {                                                                                           \
        static const struct expect want[] = {__VA_ARGS__};                                         \
        check(&iface, #iface, version, iface.methods, iface.method_count, want,                    \
              (int)G_N_ELEMENTS(want));                                                            \
    } while (0)
#define CHECK_EVENTS(iface, version, ...)                                                          \
    do {                                                                                           \
        static const struct expect want[] = {__VA_ARGS__};                                         \
        check(&iface, #iface, version, iface.events, iface.event_count, want,                      \
              (int)G_N_ELEMENTS(want));                                                            \
    } while (0)

static void test_virtual_keyboard(void)
{
    g_assert_cmpstr(zwp_virtual_keyboard_v1_interface.name, ==, "zwp_virtual_keyboard_v1");
    CHECK_REQUESTS(zwp_virtual_keyboard_v1_interface, 1, {"keymap", "uhu"}, {"key", "uuu"},
                   {"modifiers", "uuuu"}, {"destroy", ""});
    g_assert_cmpint(zwp_virtual_keyboard_v1_interface.event_count, ==, 0);
    CHECK_REQUESTS(zwp_virtual_keyboard_manager_v1_interface, 1, {"create_virtual_keyboard", "on"});
    g_assert_cmpint(ZWP_VIRTUAL_KEYBOARD_V1_ERROR_NO_KEYMAP, ==, 0);
    g_assert_cmpint(ZWP_VIRTUAL_KEYBOARD_MANAGER_V1_ERROR_UNAUTHORIZED, ==, 0);
}

static void test_virtual_pointer(void)
{
    CHECK_REQUESTS(zwlr_virtual_pointer_v1_interface, 2, {"motion", "uff"},
                   {"motion_absolute", "uuuuu"}, {"button", "uuu"}, {"axis", "uuf"}, {"frame", ""},
                   {"axis_source", "u"}, {"axis_stop", "uu"}, {"axis_discrete", "uufi"},
                   {"destroy", ""});
    CHECK_REQUESTS(zwlr_virtual_pointer_manager_v1_interface, 2, {"create_virtual_pointer", "?on"},
                   {"destroy", ""}, {"create_virtual_pointer_with_output", "2?o?on"});
}

static void test_data_control(void)
{
    CHECK_REQUESTS(zwlr_data_control_manager_v1_interface, 2, {"create_data_source", "n"},
                   {"get_data_device", "no"}, {"destroy", ""});
    CHECK_REQUESTS(zwlr_data_control_device_v1_interface, 2, {"set_selection", "?o"},
                   {"destroy", ""}, {"set_primary_selection", "2?o"});
    CHECK_EVENTS(zwlr_data_control_device_v1_interface, 2, {"data_offer", "n"}, {"selection", "?o"},
                 {"finished", ""}, {"primary_selection", "2?o"});
    CHECK_REQUESTS(zwlr_data_control_source_v1_interface, 1, {"offer", "s"}, {"destroy", ""});
    CHECK_EVENTS(zwlr_data_control_source_v1_interface, 1, {"send", "sh"}, {"cancelled", ""});
    CHECK_REQUESTS(zwlr_data_control_offer_v1_interface, 1, {"receive", "sh"}, {"destroy", ""});
    CHECK_EVENTS(zwlr_data_control_offer_v1_interface, 1, {"offer", "s"});
    g_assert_cmpint(ZWLR_DATA_CONTROL_DEVICE_V1_ERROR_USED_SOURCE, ==, 1);
    g_assert_cmpint(ZWLR_DATA_CONTROL_SOURCE_V1_ERROR_INVALID_OFFER, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wlr-protocols/virtual-keyboard", test_virtual_keyboard);
    g_test_add_func("/wlr-protocols/virtual-pointer", test_virtual_pointer);
    g_test_add_func("/wlr-protocols/data-control", test_data_control);
    return g_test_run();
}
