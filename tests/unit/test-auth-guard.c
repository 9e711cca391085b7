#include <glib.h>

#include "agent/auth-guard.h"

static void test_free_then_doubling(void)
{
    struct auth_guard *g = auth_guard_create();
    int64_t t = 1000000;
    for (int i = 0; i < AUTH_GUARD_FREE; i++) {
        auth_guard_failed(g, "192.0.2.1", t);
        g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, 0);
    }
    auth_guard_failed(g, "192.0.2.1", t);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, 1000);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t + 400), ==, 600);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t + 1000), ==, 0);
    auth_guard_failed(g, "192.0.2.1", t);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, 2000);
    auth_guard_failed(g, "192.0.2.1", t);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, 4000);
    for (int i = 0; i < 100; i++)
        auth_guard_failed(g, "192.0.2.1", t);
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, AUTH_GUARD_MAX_DELAY_MS);
    g_assert_cmpuint(auth_guard_failures(g, "192.0.2.1"), ==, 106);
    /* Other addresses are not affected. */
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.2", t), ==, 0);
    /* Success clears; so does a long quiet time. */
    auth_guard_succeeded(g, "192.0.2.1");
    g_assert_cmpint(auth_guard_delay_ms(g, "192.0.2.1", t), ==, 0);
    g_assert_cmpuint(auth_guard_failures(g, "192.0.2.1"), ==, 0);
    for (int i = 0; i < 10; i++)
        auth_guard_failed(g, "2001:db8::1", t);
    g_assert_cmpint(auth_guard_delay_ms(g, "2001:db8::1", t + AUTH_GUARD_FORGET_MS + 1), ==, 0);
    auth_guard_failed(g, "2001:db8::1", t + AUTH_GUARD_FORGET_MS + 1);
    g_assert_cmpuint(auth_guard_failures(g, "2001:db8::1"), ==, 1);
    auth_guard_destroy(g);
    auth_guard_destroy(NULL);
}

static void test_bounded_memory(void)
{
    struct auth_guard *g = auth_guard_create();
    /* A spray of addresses keeps the table bounded; the newest are kept. */
    for (int i = 0; i < 3 * AUTH_GUARD_MAX_ADDRESSES; i++) {
        char a[32];
        g_snprintf(a, sizeof(a), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        for (int k = 0; k <= AUTH_GUARD_FREE; k++)
            auth_guard_failed(g, a, i);
    }
    g_assert_cmpuint(auth_guard_failures(g, "10.0.0.0"), ==, 0);
    char last[32];
    int i = 3 * AUTH_GUARD_MAX_ADDRESSES - 1;
    g_snprintf(last, sizeof(last), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    g_assert_cmpuint(auth_guard_failures(g, last), ==, AUTH_GUARD_FREE + 1);
    auth_guard_destroy(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auth-guard/free-then-doubling", test_free_then_doubling);
    g_test_add_func("/auth-guard/bounded-memory", test_bounded_memory);
    return g_test_run();
}
