#include "usb/vhci.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

static bool parse_uint(const char *s, int base, long max, long *ret)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno || end == s || *end || v < 0 || v > max)
        return false;
    *ret = v;
    return true;
}

int vhci_status_parse(const char *text, struct vhci_port *ports, int max)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    if (!lines[0] || !g_str_has_prefix(lines[0], "hub port sta spd dev"))
        return -EINVAL;
    int n = 0;
    for (int i = 1; lines[i]; i++) {
        if (!*g_strstrip(lines[i]))
            continue;
        g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
        const char *col[7];
        int c = 0;
        for (int j = 0; f[j] && c < 7; j++)
            if (*f[j])
                col[c++] = f[j];
        long port, sta, spd;
        if (c < 5 || (strcmp(col[0], "hs") != 0 && strcmp(col[0], "ss") != 0) ||
            !parse_uint(col[1], 10, 65535, &port) || !parse_uint(col[2], 10, 999, &sta) ||
            !parse_uint(col[3], 10, 999, &spd))
            return -EINVAL;
        if (n >= max)
            return -EINVAL;
        ports[n].superspeed = strcmp(col[0], "ss") == 0;
        ports[n].port = (int)port;
        ports[n].status = (int)sta;
        n++;
    }
    return n;
}

int vhci_pick_port(const struct vhci_port *ports, int n, int usbredir_speed)
{
    bool ss = usbredir_speed == 3;
    for (int i = 0; i < n; i++)
        if (ports[i].superspeed == ss && ports[i].status == VHCI_STATUS_FREE)
            return ports[i].port;
    return -ENOSPC;
}

int vhci_kernel_speed(int usbredir_speed)
{
    static const int map[] = {1, 2, 3, 5};
    return usbredir_speed >= 0 && usbredir_speed <= 3 ? map[usbredir_speed] : -EINVAL;
}

char *vhci_attach_line(int port, int fd, uint32_t devid, int kernel_speed)
{
    return g_strdup_printf("%d %d %u %d", port, fd, devid, kernel_speed);
}

int vhci_request_parse(const char *msg, size_t len, int *ret_usbredir_speed)
{
    if (len == 0 || len >= VHCI_MAX_MESSAGE || memchr(msg, 0, len))
        return -EINVAL;
    g_autofree char *s = g_strndup(msg, len);
    g_strchomp(s);
    long speed;
    if (!g_str_has_prefix(s, "attach ") || !parse_uint(s + 7, 10, 3, &speed))
        return -EINVAL;
    *ret_usbredir_speed = (int)speed;
    return 0;
}

bool vhci_peer_allowed(uid_t uid, const gid_t *groups, int n_groups, gid_t allowed_gid)
{
    if (uid == 0)
        return true;
    for (int i = 0; i < n_groups; i++)
        if (groups[i] == allowed_gid)
            return true;
    return false;
}
