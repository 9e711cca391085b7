#include "agent/password.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* spice-server keeps at most 60 bytes of a ticket. */
#define PASSWORD_MAX 60

char *password_generate(int length)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const unsigned n = sizeof(alphabet) - 1; /* 62 */
    char *pw = g_malloc(length + 1);
    int i = 0;
    while (i < length) {
        unsigned char buf[64];
        ssize_t got = getrandom(buf, sizeof(buf), 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            g_free(pw);
            return NULL;
        }
        for (ssize_t k = 0; k < got && i < length; k++) {
            /* Reject the top values so every character is equally likely. */
            if (buf[k] >= 256 - 256 % n)
                continue;
            pw[i++] = alphabet[buf[k] % n];
        }
    }
    pw[length] = '\0';
    return pw;
}

char *password_read(const char *path, char **ret_error)
{
    g_autofree char *contents = NULL;
    if (strcmp(path, "-") == 0) {
        char line[512];
        if (!fgets(line, sizeof(line), stdin)) {
            *ret_error = g_strdup("no password on standard input");
            return NULL;
        }
        contents = g_strdup(line);
    } else {
        g_autoptr(GError) err = NULL;
        if (!g_file_get_contents(path, &contents, NULL, &err)) {
            *ret_error = g_strdup_printf("cannot read password file: %s", err->message);
            return NULL;
        }
    }
    contents[strcspn(contents, "\r\n")] = '\0';
    if (!*contents) {
        *ret_error = g_strdup_printf("password file %s is empty", path);
        return NULL;
    }
    if (strlen(contents) > PASSWORD_MAX) {
        *ret_error = g_strdup_printf("password in %s is longer than %d characters", path,
                                     PASSWORD_MAX);
        return NULL;
    }
    return g_steal_pointer(&contents);
}

bool password_address_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (strcmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&a6))
            return a6.s6_addr[12] == 127;
    }
    return false;
}
