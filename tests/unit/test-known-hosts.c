/* known-hosts: trust-on-first-use pinning logic. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "client/known-hosts.h"

static char *fp(const char *seed)
{
    return known_hosts_fingerprint((const guint8 *)seed, strlen(seed));
}

static void test_fingerprint(void)
{
    g_autofree char *a = known_hosts_fingerprint((const guint8 *)"", 0);
    g_assert_cmpstr(a, ==,
                    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_tofu_cycle(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-kh-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sub", "known_hosts", NULL);
    g_autofree char *k1 = fp("key one"), *k2 = fp("key two");
    char *err = NULL;

    struct known_hosts *kh = known_hosts_create();
    g_assert_cmpint(known_hosts_load(kh, path, &err), ==, 0); /* missing: empty */
    g_assert_cmpint(known_hosts_check(kh, "Desk.example", 5901, k1, NULL), ==, KNOWN_HOSTS_NEW);
    g_assert_cmpint(known_hosts_add(kh, "Desk.example", 5901, k1), ==, 0);
    g_assert_cmpint(known_hosts_save(kh, path, &err), ==, 0);
    known_hosts_destroy(kh);

    kh = known_hosts_create();
    g_assert_cmpint(known_hosts_load(kh, path, &err), ==, 0);
    g_assert_cmpuint(known_hosts_count(kh), ==, 1);
    const char *pinned = NULL;
    g_assert_cmpint(known_hosts_check(kh, "desk.EXAMPLE", 5901, k1, &pinned), ==,
                    KNOWN_HOSTS_MATCH);
    g_assert_cmpstr(pinned, ==, k1);
    g_assert_cmpint(known_hosts_check(kh, "desk.example", 5901, k2, &pinned), ==,
                    KNOWN_HOSTS_MISMATCH);
    /* Another port of the same host is another server. */
    g_assert_cmpint(known_hosts_check(kh, "desk.example", 5902, k2, NULL), ==, KNOWN_HOSTS_NEW);
    /* Re-pinning (after the user accepted a new key) replaces, not duplicates. */
    g_assert_cmpint(known_hosts_add(kh, "desk.example", 5901, k2), ==, 0);
    g_assert_cmpuint(known_hosts_count(kh), ==, 1);
    g_assert_cmpint(known_hosts_check(kh, "desk.example", 5901, k2, NULL), ==, KNOWN_HOSTS_MATCH);
    known_hosts_destroy(kh);
    known_hosts_destroy(NULL);

    g_autofree char *sub = g_path_get_dirname(path);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_unlink(path);
    g_rmdir(sub);
    g_rmdir(dir);
}

static void check_bad(const char *text, int line)
{
    struct known_hosts *kh = known_hosts_create();
    g_autofree char *k1 = fp("x");
    g_assert_cmpint(known_hosts_add(kh, "keep", 1, k1), ==, 0);
    char *err = NULL;
    g_assert_cmpint(known_hosts_parse(kh, "kh", text, &err), ==, -EINVAL);
    g_autofree char *where = g_strdup_printf("kh:%d:", line);
    if (!err || !g_str_has_prefix(err, where))
        g_error("'%s': message '%s' does not start with %s", text, err, where);
    /* A failed load leaves what was there. */
    g_assert_cmpint(known_hosts_check(kh, "keep", 1, k1, NULL), ==, KNOWN_HOSTS_MATCH);
    g_free(err);
    known_hosts_destroy(kh);
}

static void test_malformed(void)
{
    const char *good =
        "h 1 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    g_autofree char *two = g_strdup_printf("# c\n\n%s\nh2 2\n", good);
    check_bad(two, 4);
    check_bad("h 1 md5:abcd\n", 1);
    check_bad("h x sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 1);
    check_bad("h 0 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 1);
    check_bad("h 70000 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
              1);
    check_bad("h 1 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n", 1);
    check_bad("h 1 sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n", 1);
    check_bad("h 1 sha256:z3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 1);
    g_autofree char *extra = g_strdup_printf("%s extra\n", good);
    check_bad(extra, 1);
    check_bad("lonely\n", 1);

    struct known_hosts *kh = known_hosts_create();
    char *err = NULL;
    g_autofree char *spaced = g_strdup_printf("  # comment\n\t%s  \n", good);
    g_assert_cmpint(known_hosts_parse(kh, "kh", spaced, &err), ==, 0);
    g_assert_cmpuint(known_hosts_count(kh), ==, 1);
    g_autofree char *k = fp("x");
    g_assert_cmpint(known_hosts_add(kh, "bad host", 1, k), ==, -EINVAL);
    g_assert_cmpint(known_hosts_add(kh, "", 1, k), ==, -EINVAL);
    g_assert_cmpint(known_hosts_add(kh, "h", 1, "sha256:00"), ==, -EINVAL);
    known_hosts_destroy(kh);

    /* Binary junk in the file. */
    g_autofree char *dir = g_dir_make_tmp("test-kh-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "known_hosts", NULL);
    g_assert_true(g_file_set_contents(path, "h\0 1 x", 6, NULL));
    kh = known_hosts_create();
    g_assert_cmpint(known_hosts_load(kh, path, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err, "binary"));
    g_free(err);
    known_hosts_destroy(kh);
    g_unlink(path);
    g_rmdir(dir);
}

/* The whole key rides along with its fingerprint; old lines have only the
 * fingerprint and take the key when it is added again. */
static void test_whole_key(void)
{
    g_autoptr(GBytes) key = g_bytes_new_static("DER public key", 14);
    g_autofree char *kfp = known_hosts_fingerprint((const guint8 *)"DER public key", 14);
    g_autofree char *b64 = g_base64_encode((const guint8 *)"DER public key", 14);
    g_autofree char *old = g_strdup_printf("# comment\nold 5901 %s\n", kfp);
    struct known_hosts *kh = known_hosts_create();
    char *err = NULL;
    g_assert_cmpint(known_hosts_parse(kh, "kh", old, &err), ==, 0);
    g_assert_cmpint(known_hosts_check(kh, "old", 5901, kfp, NULL), ==, KNOWN_HOSTS_MATCH);
    g_assert_null(known_hosts_get_key(kh, "old", 5901));
    g_assert_cmpint(known_hosts_line(kh, "old", 5901), ==, 2);
    g_assert_cmpint(known_hosts_line(kh, "other", 5901), ==, 0);
    /* The same fingerprint again (old-style add) keeps no key, a key add
     * upgrades the line. */
    g_assert_cmpint(known_hosts_add(kh, "old", 5901, kfp), ==, 0);
    g_assert_null(known_hosts_get_key(kh, "old", 5901));
    g_assert_cmpint(known_hosts_add_key(kh, "old", 5901, key), ==, 0);
    g_assert_true(g_bytes_equal(known_hosts_get_key(kh, "old", 5901), key));
    g_assert_cmpuint(known_hosts_count(kh), ==, 1);

    g_autofree char *dir = g_dir_make_tmp("test-kh-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "known_hosts", NULL);
    g_assert_cmpint(known_hosts_save(kh, path, &err), ==, 0);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autofree char *want = g_strdup_printf("\nold 5901 %s %s\n", kfp, b64);
    g_assert_nonnull(strstr(text, want));
    known_hosts_destroy(kh);

    kh = known_hosts_create();
    g_assert_cmpint(known_hosts_load(kh, path, &err), ==, 0);
    g_assert_true(g_bytes_equal(known_hosts_get_key(kh, "OLD", 5901), key));
    g_assert_cmpint(known_hosts_line(kh, "old", 5901), ==, 2);
    /* A different fingerprint drops the key that no longer belongs to it. */
    g_autofree char *other = fp("other");
    g_assert_cmpint(known_hosts_add(kh, "old", 5901, other), ==, 0);
    g_assert_null(known_hosts_get_key(kh, "old", 5901));
    g_assert_cmpint(known_hosts_add_key(kh, "h", 1, NULL), ==, -EINVAL);
    known_hosts_destroy(kh);
    g_unlink(path);
    g_rmdir(dir);

    /* A key that does not hash to its fingerprint, or is not base64. */
    g_autofree char *wrong = g_strdup_printf("h 1 %s %s\n", other, b64);
    check_bad(wrong, 1);
    g_autofree char *junk = g_strdup_printf("h 1 %s ****\n", kfp);
    check_bad(junk, 1);
    g_autofree char *cut = g_strdup_printf("h 1 %s %.*s\n", kfp, (int)strlen(b64) - 4, b64);
    check_bad(cut, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/known-hosts/fingerprint", test_fingerprint);
    g_test_add_func("/known-hosts/tofu-cycle", test_tofu_cycle);
    g_test_add_func("/known-hosts/malformed", test_malformed);
    g_test_add_func("/known-hosts/whole-key", test_whole_key);
    return g_test_run();
}
