/* backoff: reconnect delays and limits. */
#include <glib.h>

#include "client/backoff.h"
#include "client/settings.h"

static void test_limited(void)
{
    struct backoff b;
    unsigned d;
    backoff_init(&b, 3);
    g_assert_true(backoff_next(&b, &d));
    g_assert_cmpuint(d, ==, 250);
    g_assert_true(backoff_next(&b, &d));
    g_assert_cmpuint(d, ==, 500);
    g_assert_true(backoff_next(&b, &d));
    g_assert_cmpuint(d, ==, 1000);
    g_assert_false(backoff_next(&b, &d));
    backoff_reset(&b);
    g_assert_true(backoff_next(&b, &d));
    g_assert_cmpuint(d, ==, 250);
}

static void test_never_and_forever(void)
{
    struct backoff b;
    unsigned d = 0;
    backoff_init(&b, 0);
    g_assert_false(backoff_next(&b, &d));
    /* settings' "always" is the same value as backoff's forever. */
    g_assert_cmpint(SETTINGS_RECONNECT_ALWAYS, ==, BACKOFF_FOREVER);
    backoff_init(&b, BACKOFF_FOREVER);
    for (int i = 0; i < 10000; i++) {
        g_assert_true(backoff_next(&b, &d));
        g_assert_cmpuint(d, <=, BACKOFF_MAX_MS);
    }
    g_assert_cmpuint(d, ==, BACKOFF_MAX_MS);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/backoff/limited", test_limited);
    g_test_add_func("/backoff/never-and-forever", test_never_and_forever);
    return g_test_run();
}
