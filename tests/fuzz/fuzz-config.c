/* libFuzzer target: agent/options.c loading a config file (--config=FILE)
 * with arbitrary contents. Every input must end in OPTIONS_OK or a clean
 * OPTIONS_CONFIG / OPTIONS_USAGE error with a message, without leaks. */
#define _GNU_SOURCE /* memfd_create */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64], arg[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("fuzz-config", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        snprintf(arg, sizeof(arg), "--config=%s", path);
        g_setenv("DISPLAY", ":0", TRUE);
        g_log_set_always_fatal(G_LOG_FATAL_MASK);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char *argv[] = {"thindesk-agent", arg, NULL};
    struct options_paths paths = {"/nonexistent/system.conf", "/nonexistent/user.conf"};
    struct agent_options o;
    char *error = NULL;
    FILE *out = fopen("/dev/null", "w");
    enum options_result r = options_load(&o, 2, argv, &paths, out, &error);
    fclose(out);
    if (r == OPTIONS_OK) {
        /* Whatever was accepted is consistent. */
        if (o.listen_port < 0 || o.listen_port > 65535 || o.tls_listen_port < 0 ||
            (o.listen_port == 0 && o.tls_listen_port == 0) || !o.capture || !o.input)
            abort();
        if (error)
            abort();
    } else if (r == OPTIONS_CONFIG || r == OPTIONS_USAGE) {
        if (!error || !*error)
            abort();
    } else {
        abort();
    }
    g_free(error);
    options_finish(&o);
    return 0;
}
