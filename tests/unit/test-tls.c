#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/tls.h"

static void test_parse(void)
{
    char *id = tls_machine_id_parse("3d1219c7c4c5404aaa1f6d2a48adfda4\n");
    g_assert_cmpstr(id, ==, "3d1219c7c4c5404aaa1f6d2a48adfda4");
    g_free(id);
    g_assert_null(tls_machine_id_parse(NULL));
    g_assert_null(tls_machine_id_parse(""));
    g_assert_null(tls_machine_id_parse(" \n"));
    g_assert_null(tls_machine_id_parse("uninitialized\n"));
    g_assert_null(tls_machine_id_parse("aaaa\nbbbb\n"));
}

static void test_changed(void)
{
    g_assert_false(tls_machine_id_changed("aa", "aa"));
    g_assert_true(tls_machine_id_changed("aa", "bb"));
    /* A key without a record, on a machine with an id: made anew. */
    g_assert_true(tls_machine_id_changed(NULL, "aa"));
    /* No id now (a container): keep, whatever was recorded. */
    g_assert_false(tls_machine_id_changed("aa", NULL));
    g_assert_false(tls_machine_id_changed(NULL, NULL));
}

static char *load_fingerprint(const char *dir, bool create)
{
    char *error = NULL;
    struct tls_identity *id = tls_identity_load(dir, create, &error);
    if (!id)
        g_error("tls_identity_load: %s", error);
    char *fp = g_strdup(tls_identity_fingerprint(id));
    tls_identity_destroy(id);
    return fp;
}

static char *read_text(const char *path)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void set_id(const char *file, const char *text)
{
    g_assert_true(g_file_set_contents(file, text, -1, NULL));
}

static void test_clone(void)
{
    g_autofree char *tmp = g_dir_make_tmp("tls-XXXXXX", NULL);
    g_autofree char *dir = g_build_filename(tmp, "tls", NULL);
    g_autofree char *idfile = g_build_filename(tmp, "machine-id", NULL);
    g_autofree char *record = g_build_filename(dir, "machine-id", NULL);
    g_setenv("THINDESK_MACHINE_ID_FILE", idfile, TRUE);

    set_id(idfile, "11111111111111111111111111111111\n");
    g_autofree char *fp1 = load_fingerprint(dir, true);
    g_autofree char *rec = read_text(record);
    g_assert_cmpstr(rec, ==, "11111111111111111111111111111111\n");
    struct stat st;
    g_assert_cmpint(g_stat(record, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    g_autofree char *fp_same = load_fingerprint(dir, true);
    g_assert_cmpstr(fp_same, ==, fp1);

    /* A clone: another id. */
    set_id(idfile, "22222222222222222222222222222222\n");
    g_autofree char *fp2 = load_fingerprint(dir, true);
    g_assert_cmpstr(fp2, !=, fp1);
    g_free(rec);
    rec = read_text(record);
    g_assert_cmpstr(rec, ==, "22222222222222222222222222222222\n");

    /* No id (a container): the key stays, the record too. */
    g_unlink(idfile);
    g_autofree char *fp3 = load_fingerprint(dir, true);
    g_assert_cmpstr(fp3, ==, fp2);
    g_free(rec);
    rec = read_text(record);
    g_assert_cmpstr(rec, ==, "22222222222222222222222222222222\n");

    /* The agent's own key without a record: made anew, then recorded. */
    set_id(idfile, "22222222222222222222222222222222\n");
    g_unlink(record);
    g_autofree char *fp4 = load_fingerprint(dir, true);
    g_assert_cmpstr(fp4, !=, fp2);
    g_assert_true(g_file_test(record, G_FILE_TEST_EXISTS));

    /* An admin's --x509-dir: never written, whatever the id. */
    set_id(idfile, "33333333333333333333333333333333\n");
    g_autofree char *fp5 = load_fingerprint(dir, false);
    g_assert_cmpstr(fp5, ==, fp4);
    g_free(rec);
    rec = read_text(record);
    g_assert_cmpstr(rec, ==, "22222222222222222222222222222222\n");

    const char *names[] = {"ca-cert.pem", "server-cert.pem", "server-key.pem", "machine-id"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
    g_unlink(idfile);
    g_rmdir(tmp);
    g_unsetenv("THINDESK_MACHINE_ID_FILE");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls/machine-id-parse", test_parse);
    g_test_add_func("/tls/machine-id-changed", test_changed);
    g_test_add_func("/tls/clone", test_clone);
    return g_test_run();
}
