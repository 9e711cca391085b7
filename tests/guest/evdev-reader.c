/* evdev-reader: prints every input device and event of a guest, one line each.
 *
 * Runs inside the guest tier's QEMU guest, so the host can assert what its
 * SPICE client's input became on the guest kernel's evdev devices:
 *
 *   EVDEV-DEV event3 virtual=1 key=1 abs=1 rel=0 absx=0:32767 absy=0:32767 name=NAME
 *   EVDEV event3 TYPE CODE VALUE            (EV_SYN and EV_MSC left out)
 *
 * virtual=1 marks devices under /sys/devices/virtual (uinput). Devices that
 * appear later are picked up by rescanning /dev/input. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/input.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_DEVICES 64
#define BITS_LONG   (sizeof(unsigned long) * 8)
#define NLONGS(n)   (((n) + BITS_LONG - 1) / BITS_LONG)

struct device {
    int fd;
    char node[32];
};

static struct device devices[MAX_DEVICES];
static int n_devices;

static bool test_bit(const unsigned long *bits, unsigned bit)
{
    return (bits[bit / BITS_LONG] >> (bit % BITS_LONG)) & 1;
}

static bool is_virtual(const char *node)
{
    char link[PATH_MAX], path[64];
    snprintf(path, sizeof(path), "/sys/class/input/%s", node);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n < 0)
        return false;
    link[n] = '\0';
    return strstr(link, "/devices/virtual/") != NULL;
}

static void describe(int fd, const char *node)
{
    char name[256] = "?";
    unsigned long ev[NLONGS(EV_CNT)] = {0};
    struct input_absinfo ax = {0}, ay = {0};
    if (ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name) < 0)
        strcpy(name, "?");
    ioctl(fd, EVIOCGBIT(0, sizeof(ev)), ev);
    bool abs = test_bit(ev, EV_ABS);
    if (abs) {
        ioctl(fd, EVIOCGABS(ABS_X), &ax);
        ioctl(fd, EVIOCGABS(ABS_Y), &ay);
    }
    printf("EVDEV-DEV %s virtual=%d key=%d abs=%d rel=%d absx=%d:%d absy=%d:%d name=%s\n", node,
           is_virtual(node), test_bit(ev, EV_KEY), abs, test_bit(ev, EV_REL), ax.minimum,
           ax.maximum, ay.minimum, ay.maximum, name);
}

static bool known(const char *node)
{
    for (int i = 0; i < n_devices; i++)
        if (strcmp(devices[i].node, node) == 0)
            return true;
    return false;
}

static void scan(void)
{
    DIR *dir = opendir("/dev/input");
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) && n_devices < MAX_DEVICES) {
        if (strncmp(e->d_name, "event", 5) != 0 || known(e->d_name) ||
            strlen(e->d_name) >= sizeof(devices[0].node))
            continue;
        char path[sizeof("/dev/input/") + sizeof(e->d_name)];
        snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue; /* not ready yet: next scan */
        devices[n_devices].fd = fd;
        strcpy(devices[n_devices].node, e->d_name);
        n_devices++;
        describe(fd, e->d_name);
    }
    closedir(dir);
}

static void drain(struct device *d)
{
    struct input_event ev[64];
    for (;;) {
        ssize_t n = read(d->fd, ev, sizeof(ev));
        if (n <= 0) {
            if (n < 0 && errno == ENODEV) {
                printf("EVDEV-GONE %s\n", d->node);
                close(d->fd);
                d->fd = -1;
            }
            return;
        }
        for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
            if (ev[i].type == EV_SYN || ev[i].type == EV_MSC)
                continue;
            printf("EVDEV %s %u %u %d\n", d->node, ev[i].type, ev[i].code, ev[i].value);
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    scan();
    printf("EVDEV-READER started\n");
    for (;;) {
        struct pollfd fds[MAX_DEVICES];
        int map[MAX_DEVICES], n = 0;
        for (int i = 0; i < n_devices; i++) {
            if (devices[i].fd >= 0) {
                fds[n].fd = devices[i].fd;
                fds[n].events = POLLIN;
                map[n++] = i;
            }
        }
        int r = poll(fds, n, 50);
        if (r < 0 && errno != EINTR)
            return 1;
        for (int i = 0; r > 0 && i < n; i++)
            if (fds[i].revents)
                drain(&devices[map[i]]);
        scan();
    }
}
