/* vv-file: remote-viewer connection files, good and malformed. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "client/vv-file.h"

static struct vv_file *parse(const char *text, char **ret_error)
{
    *ret_error = NULL;
    return vv_file_parse("t.vv", text, strlen(text), ret_error);
}

static void test_good(void)
{
    char *err = NULL;
    struct vv_file *vv =
        parse("[virt-viewer]\ntype=spice\nhost=10.0.0.5\nport=5901\n"
              "tls-port=5902\npassword=pa ss\ntitle=Desk 42\nfullscreen=1\n"
              "ca=-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\n"
              "host-subject=C=XX,O=org,CN=desk\nsecure-channels=main;inputs\n"
              "enable-usbredir=1\nusb-filter=-1,-1,-1,-1,0\n"
              "enable-usb-autoshare=1\ndelete-this-file=0\n"
              "release-cursor=shift+f12\n\n[ovirt]\nhost=engine\n",
              &err);
    g_assert_no_error(NULL);
    g_assert_null(err);
    g_assert_nonnull(vv);
    g_assert_cmpstr(vv_file_get(vv, "host"), ==, "10.0.0.5");
    g_assert_cmpstr(vv_file_get(vv, "port"), ==, "5901");
    g_assert_cmpstr(vv_file_get(vv, "tls-port"), ==, "5902");
    g_assert_cmpstr(vv_file_get(vv, "password"), ==, "pa ss");
    g_assert_cmpstr(vv_file_get(vv, "title"), ==, "Desk 42");
    g_assert_cmpstr(vv_file_get(vv, "ca"), ==,
                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    g_assert_cmpstr(vv_file_get(vv, "secure-channels"), ==, "main;inputs");
    g_assert_cmpstr(vv_file_get(vv, "usb-filter"), ==, "-1,-1,-1,-1,0");
    g_assert_cmpstr(vv_file_get(vv, "release-cursor"), ==, "shift+f12");
    g_assert_null(vv_file_get(vv, "toggle-fullscreen"));
    g_assert_false(vv->delete_this_file);
    g_assert_cmpuint(vv->unknown->len, ==, 0); /* [ovirt] is not our group */
    vv_file_destroy(vv);
}

static void test_unknown_keys_are_listed(void)
{
    char *err = NULL;
    struct vv_file *vv = parse("[virt-viewer]\ntype=spice\nhost=h\nport=1\nzoom=120\n"
                               "smartcard-insert=shift+f8\n",
                               &err);
    g_assert_nonnull(vv);
    g_assert_cmpuint(vv->unknown->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(vv->unknown, 0), ==, "zoom");
    vv_file_destroy(vv);
}

static void test_tls_port_only_and_minus_one(void)
{
    char *err = NULL;
    struct vv_file *vv = parse("[virt-viewer]\ntype=spice\nhost=h\nport=-1\ntls-port=5901\n", &err);
    g_assert_nonnull(vv);
    vv_file_destroy(vv);
}

static void check_bad(const char *text, gsize len, const char *needle)
{
    char *err = NULL;
    struct vv_file *vv = vv_file_parse("bad.vv", text, len, &err);
    g_assert_null(vv);
    g_assert_nonnull(err);
    if (!strstr(err, needle))
        g_error("message '%s' lacks '%s'", err, needle);
    g_assert_nonnull(strstr(err, "bad.vv"));
    g_assert_null(strchr(err, '\n'));
    g_free(err);
}

static void test_malformed(void)
{
    check_bad("", 0, "[virt-viewer]");
    check_bad("hello world\n", 12, "not a connection file");
    check_bad("[virt-viewer\ntype=spice\n", 24, "not a connection file");
    check_bad("[other]\ntype=spice\n", 19, "[virt-viewer]");
    check_bad("[virt-viewer]\nhost=h\nport=1\n", 27, "type");
    check_bad("[virt-viewer]\ntype=vnc\nhost=h\nport=1\n", 36, "type=vnc");
    check_bad("[virt-viewer]\ntype=spice\nport=1\n", 31, "host");
    check_bad("[virt-viewer]\ntype=spice\nhost=\nport=1\n", 37, "host");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\n", 31, "port");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\nport=-1\n", 39, "port");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\nport=abc\n", 40, "port=abc");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\nport=70000\n", 42, "port=70000");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\ntls-port=5x\n", 43, "tls-port=5x");
    check_bad("[virt-viewer]\ntype=spice\nhost=h\nport=1\ndelete-this-file=maybe\n", 61,
              "delete-this-file=maybe");
    check_bad("[virt-viewer]\ntype=spice\0host=h\n", 31, "binary");
    check_bad("[virt-viewer]\ntype=spice\nhost=\xff\xfe\nport=1\n", 38, "host");
    /* Truncated in the middle of the group header and of a key. */
    check_bad("[virt-vi", 8, "not a connection file");
    check_bad("[virt-viewer]\nty", 16, "not a connection file");
    /* Oversized. */
    gsize big = VV_FILE_MAX_SIZE + 1;
    char *huge = g_malloc(big);
    memset(huge, 'a', big);
    check_bad(huge, big, "too large");
    g_free(huge);
}

static void test_load_and_delete(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-vv-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "c.vv", NULL);
    char *err = NULL;
    g_assert_true(g_file_set_contents(path,
                                      "[virt-viewer]\ntype=spice\nhost=h\nport=5\n"
                                      "password=x\ndelete-this-file=1\n",
                                      -1, NULL));
    struct vv_file *vv = vv_file_load(path, &err);
    g_assert_nonnull(vv);
    g_assert_true(vv->delete_this_file);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpint(vv_file_delete_if_asked(vv), ==, 0);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    vv_file_destroy(vv);

    /* A file that does not ask to be deleted stays. */
    g_assert_true(
        g_file_set_contents(path, "[virt-viewer]\ntype=spice\nhost=h\nport=5\n", -1, NULL));
    vv = vv_file_load(path, &err);
    g_assert_cmpint(vv_file_delete_if_asked(vv), ==, 0);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    vv_file_destroy(vv);
    g_unlink(path);

    /* Missing file and a directory: clear messages. */
    g_assert_null(vv_file_load(path, &err));
    g_assert_nonnull(strstr(err, "cannot read connection file"));
    g_free(err);
    g_assert_null(vv_file_load(dir, &err));
    g_assert_nonnull(strstr(err, "directory"));
    g_free(err);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vv-file/good", test_good);
    g_test_add_func("/vv-file/unknown-keys", test_unknown_keys_are_listed);
    g_test_add_func("/vv-file/tls-port-only", test_tls_port_only_and_minus_one);
    g_test_add_func("/vv-file/malformed", test_malformed);
    g_test_add_func("/vv-file/load-and-delete", test_load_and_delete);
    return g_test_run();
}
