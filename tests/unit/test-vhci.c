/* vhci: the controller's status file, port choice, the attach line and the
 * helper's request and peer checks. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "usb/vhci.h"

/* As Linux 6.1 prints it for 2 high-speed and 2 SuperSpeed ports, one busy. */
static const char status_text[] =
    "hub port sta spd dev      sockfd local_busid\n"
    "hs  0000 006 003 00010002 000005 3-1\n"
    "hs  0001 004 000 00000000 000000 0-0\n"
    "ss  0002 004 000 00000000 000000 0-0\n"
    "ss  0003 004 000 00000000 000000 0-0\n";

static void test_status(void)
{
    struct vhci_port ports[8];
    int n = vhci_status_parse(status_text, ports, 8);
    g_assert_cmpint(n, ==, 4);
    g_assert_false(ports[0].superspeed);
    g_assert_cmpint(ports[0].status, ==, 6);
    g_assert_true(ports[2].superspeed);
    g_assert_cmpint(ports[3].port, ==, 3);
    for (int speed = 0; speed <= 2; speed++)
        g_assert_cmpint(vhci_pick_port(ports, n, speed), ==, 1);
    g_assert_cmpint(vhci_pick_port(ports, n, 3), ==, 2);
    ports[1].status = 6;
    g_assert_cmpint(vhci_pick_port(ports, n, 2), ==, -ENOSPC);
    /* too small a buffer is an error, not a silent truncation */
    g_assert_cmpint(vhci_status_parse(status_text, ports, 3), ==, -EINVAL);
}

static void test_status_malformed(void)
{
    static const char *const bad[] = {
        "",
        "prt sta spd dev sockfd local_busid\n000 004 000 00000000 000000 0-0\n",
        "hub port sta spd dev      sockfd local_busid\nxx  0000 004 000 0 0 0-0\n",
        "hub port sta spd dev      sockfd local_busid\nhs  zero 004 000 0 0 0-0\n",
        "hub port sta spd dev      sockfd local_busid\nhs  0000\n",
        "hub port sta spd dev      sockfd local_busid\nhs  -1 004 000 0 0 0-0\n",
    };
    struct vhci_port ports[8];
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_cmpint(vhci_status_parse(bad[i], ports, 8), ==, -EINVAL);
    g_assert_cmpint(vhci_status_parse("hub port sta spd dev sockfd local_busid\n", ports, 8), ==,
                    0);
}

static void test_speed_and_line(void)
{
    g_assert_cmpint(vhci_kernel_speed(0), ==, 1);
    g_assert_cmpint(vhci_kernel_speed(1), ==, 2);
    g_assert_cmpint(vhci_kernel_speed(2), ==, 3);
    g_assert_cmpint(vhci_kernel_speed(3), ==, 5);
    g_assert_cmpint(vhci_kernel_speed(4), ==, -EINVAL);
    g_assert_cmpint(vhci_kernel_speed(-1), ==, -EINVAL);
    g_autofree char *line = vhci_attach_line(2, 7, 0x10002, 5);
    g_assert_cmpstr(line, ==, "2 7 65538 5");
}

static void test_request(void)
{
    int speed = -1;
    g_assert_cmpint(vhci_request_parse("attach 2", 8, &speed), ==, 0);
    g_assert_cmpint(speed, ==, 2);
    g_assert_cmpint(vhci_request_parse("attach 3\n", 9, &speed), ==, 0);
    g_assert_cmpint(speed, ==, 3);
    static const char *const bad[] = {"attach 4", "attach -1", "attach", "attach x",
                                      "detach 1", "attach 1 2", "ATTACH 1", ""};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        speed = 9;
        g_assert_cmpint(vhci_request_parse(bad[i], strlen(bad[i]), &speed), ==, -EINVAL);
        g_assert_cmpint(speed, ==, 9);
    }
    g_assert_cmpint(vhci_request_parse("attach 1\0x", 10, &speed), ==, -EINVAL);
    char big[VHCI_MAX_MESSAGE + 1];
    memset(big, ' ', sizeof(big));
    memcpy(big, "attach 1", 8);
    g_assert_cmpint(vhci_request_parse(big, sizeof(big), &speed), ==, -EINVAL);
}

static void test_peer(void)
{
    gid_t groups[] = {100, 1234};
    g_assert_true(vhci_peer_allowed(0, NULL, 0, 999));
    g_assert_true(vhci_peer_allowed(1000, groups, 2, 1234));
    g_assert_false(vhci_peer_allowed(1000, groups, 2, 999));
    g_assert_false(vhci_peer_allowed(1000, groups, 0, 100));
    g_assert_false(vhci_peer_allowed(1000, groups, 2, (gid_t)-1));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhci/status", test_status);
    g_test_add_func("/vhci/status-malformed", test_status_malformed);
    g_test_add_func("/vhci/speed-and-line", test_speed_and_line);
    g_test_add_func("/vhci/request", test_request);
    g_test_add_func("/vhci/peer", test_peer);
    return g_test_run();
}
