/* log: the journal entry built from a GLib structured message, and the
 * JOURNAL_STREAM check that decides between the journal and stderr. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/log.h"

static bool has(GPtrArray *a, const char *line)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(a->pdata[i], line) == 0)
            return true;
    return false;
}

static void test_fields(void)
{
    const GLogField fields[] = {
        {"GLIB_DOMAIN", "thindesk-agent", -1},
        {"MESSAGE", "client 1.2.3.4:5 connected", -1},
        {"CLIENT_ADDRESS", "1.2.3.4:5", -1},
        {"SESSION_ID", "abcd", -1},
        {"EVENT", "client-connected", -1},
        {"PRIORITY", "4", -1},          /* replaced from the level */
        {"_PID", "1", -1},              /* trusted fields are journald's */
        {"lower", "x", -1},             /* not a journal field name */
        {"BINARY", "ab\0cd", 2},        /* a length is honoured */
    };
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpint(log_journal_fields(G_LOG_LEVEL_MESSAGE, fields, G_N_ELEMENTS(fields), false,
                                       out),
                    ==, 0);
    g_assert_true(has(out, "MESSAGE=client 1.2.3.4:5 connected"));
    g_assert_true(has(out, "CLIENT_ADDRESS=1.2.3.4:5"));
    g_assert_true(has(out, "SESSION_ID=abcd"));
    g_assert_true(has(out, "EVENT=client-connected"));
    g_assert_true(has(out, "GLIB_DOMAIN=thindesk-agent"));
    g_assert_true(has(out, "BINARY=ab"));
    g_autofree char *prio = g_strdup_printf("PRIORITY=%d", LOG_NOTICE);
    g_assert_true(has(out, prio));
    g_assert_true(has(out, "SYSLOG_IDENTIFIER=thindesk-agent"));
    g_assert_false(has(out, "PRIORITY=4"));
    g_assert_false(has(out, "_PID=1"));
    g_assert_false(has(out, "lower=x"));

    g_ptr_array_set_size(out, 0);
    const GLogField spice[] = {{"MESSAGE", "oops", -1}};
    g_assert_cmpint(log_journal_fields(G_LOG_LEVEL_WARNING, spice, 1, true, out), ==, 0);
    g_assert_true(has(out, "MESSAGE=spice-server: oops"));

    g_ptr_array_set_size(out, 0);
    const GLogField none[] = {{"EVENT", "x", -1}};
    g_assert_cmpint(log_journal_fields(G_LOG_LEVEL_INFO, none, 1, false, out), <, 0);
}

static void test_journal_stream(void)
{
    g_unsetenv("JOURNAL_STREAM");
    g_assert_false(log_stderr_is_journal());
    struct stat st;
    g_assert_cmpint(fstat(2, &st), ==, 0);
    g_autofree char *match = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
                                             (unsigned long long)st.st_ino);
    g_setenv("JOURNAL_STREAM", match, TRUE);
    g_assert_true(log_stderr_is_journal());
    /* Inherited by a child whose stderr is elsewhere: not the journal. */
    g_autofree char *other = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
                                             (unsigned long long)st.st_ino + 1);
    g_setenv("JOURNAL_STREAM", other, TRUE);
    g_assert_false(log_stderr_is_journal());
    g_setenv("JOURNAL_STREAM", "garbage", TRUE);
    g_assert_false(log_stderr_is_journal());
    g_unsetenv("JOURNAL_STREAM");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/log/journal-fields", test_fields);
    g_test_add_func("/log/journal-stream", test_journal_stream);
    return g_test_run();
}
