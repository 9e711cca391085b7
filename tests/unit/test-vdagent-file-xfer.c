/* File transfer into a folder: naming, no traversal, no overwrite, free
 * space, cancel, and the statuses the client gets. Real files in a temporary
 * folder. */
#include <glib.h>
#include <glib/gstdio.h>
#include <spice/vd_agent.h>
#include <string.h>
#include <unistd.h>

#include "agent/vdagent-file-xfer.h"

struct fixture {
    char *root;   /* temporary; the transfer folder is root/dl */
    char *dir;
    struct vdagent_proto *proto;
    struct vdagent_file_xfer *fx;
};

static uint32_t get32(const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return GUINT32_FROM_LE(v);
}

static void setup(struct fixture *f, gconstpointer data)
{
    f->root = g_dir_make_tmp("fx-XXXXXX", NULL);
    f->dir = g_build_filename(f->root, "dl", NULL);
    struct vdagent_proto_config c = {.max_message = 1 << 20, .file_xfer = true};
    f->proto = vdagent_proto_create(&c, NULL);
    /* the client announces detailed errors, as spice-gtk does */
    uint8_t caps[8];
    uint32_t req = 0, bits = GUINT32_TO_LE(1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS);
    memcpy(caps, &req, 4);
    memcpy(caps + 4, &bits, 4);
    size_t n;
    g_autofree uint8_t *msg =
        vdagent_proto_encode(VDP_CLIENT_PORT, VD_AGENT_ANNOUNCE_CAPABILITIES, caps, 8, &n);
    vdagent_proto_feed(f->proto, msg, n);
    f->fx = vdagent_file_xfer_create(f->proto, f->dir);
}

static void rm_rf(const char *path)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", path);
    g_assert_cmpint(system(cmd), ==, 0);
}

static void teardown(struct fixture *f, gconstpointer data)
{
    vdagent_file_xfer_destroy(f->fx);
    vdagent_proto_destroy(f->proto);
    rm_rf(f->root);
    g_free(f->dir);
    g_free(f->root);
}

/* The next status message sent to the client: result, and detail length. */
static uint32_t next_status(struct fixture *f, uint32_t want_id, size_t *ret_detail,
                            uint64_t *ret_u64)
{
    uint8_t hdr[8 + 20];
    g_assert_cmpuint(vdagent_proto_read(f->proto, hdr, sizeof(hdr)), ==, sizeof(hdr));
    g_assert_cmpuint(get32(hdr + 8 + 4), ==, VD_AGENT_FILE_XFER_STATUS);
    uint32_t size = get32(hdr + 8 + 16);
    g_assert_cmpuint(size, >=, 8);
    g_autofree uint8_t *body = g_malloc(size);
    g_assert_cmpuint(vdagent_proto_read(f->proto, body, size), ==, size);
    g_assert_cmpuint(get32(body), ==, want_id);
    if (ret_detail)
        *ret_detail = size - 8;
    if (ret_u64 && size >= 16) {
        uint64_t v;
        memcpy(&v, body + 8, 8);
        *ret_u64 = GUINT64_FROM_LE(v);
    }
    return get32(body + 4);
}

static void start(struct fixture *f, uint32_t id, const char *name, guint64 size)
{
    g_autofree char *kf = g_strdup_printf("[vdagent-file-xfer]\nname=%s\nsize=%" G_GUINT64_FORMAT
                                          "\n", name, size);
    vdagent_file_xfer_start(f->fx, id, kf);
}

static char *read_file(struct fixture *f, const char *name)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static int count_files(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    if (!d)
        return 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static void test_names(void)
{
    const char *good[] = {"a.txt", "ü ber.pdf", ".hidden", "a..b", "x (1).txt"};
    const char *bad[] = {"", ".", "..", "../evil", "a/b", "/etc/passwd", "a\\b", "tab\tname",
                         "nl\nname", "\x7f", "bad\xff utf8"};
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(vdagent_file_xfer_name_ok(good[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(vdagent_file_xfer_name_ok(bad[i]));
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    g_assert_false(vdagent_file_xfer_name_ok(long_name));
}

static void test_receive(struct fixture *f, gconstpointer data)
{
    start(f, 1, "hello.txt", 11);
    g_assert_cmpuint(next_status(f, 1, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 1, (const uint8_t *)"hello ", 6);
    vdagent_file_xfer_data(f->fx, 1, (const uint8_t *)"world", 5);
    g_assert_cmpuint(next_status(f, 1, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    g_autofree char *text = read_file(f, "hello.txt");
    g_assert_cmpstr(text, ==, "hello world");
    /* empty file: done at once */
    start(f, 2, "empty", 0);
    g_assert_cmpuint(next_status(f, 2, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    g_autofree char *empty = read_file(f, "empty");
    g_assert_cmpstr(empty, ==, "");
    g_assert_cmpuint(vdagent_proto_pending(f->proto), ==, 0);
}

static void test_traversal_refused(struct fixture *f, gconstpointer data)
{
    const char *names[] = {"../evil", "sub/evil", "..", "/tmp/evil"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        start(f, 10 + (uint32_t)i, names[i], 4);
        size_t detail = 0;
        g_assert_cmpuint(next_status(f, 10 + (uint32_t)i, &detail, NULL), ==,
                         VD_AGENT_FILE_XFER_STATUS_ERROR);
        g_assert_cmpuint(detail, ==, 5); /* GLib I/O error detail */
        vdagent_file_xfer_data(f->fx, 10 + (uint32_t)i, (const uint8_t *)"evil", 4);
    }
    g_autofree char *evil = g_build_filename(f->root, "evil", NULL);
    g_assert_false(g_file_test(evil, G_FILE_TEST_EXISTS));
    g_assert_cmpint(count_files(f->root), <=, 1);
    g_assert_cmpint(count_files(f->dir), ==, 0);
    /* no key file, no name */
    vdagent_file_xfer_start(f->fx, 20, "garbage");
    g_assert_cmpuint(next_status(f, 20, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_ERROR);
}

static void test_no_overwrite(struct fixture *f, gconstpointer data)
{
    g_assert_cmpint(g_mkdir_with_parents(f->dir, 0700), ==, 0);
    g_autofree char *existing = g_build_filename(f->dir, "a.txt", NULL);
    g_assert_true(g_file_set_contents(existing, "keep me", -1, NULL));
    /* a symlink pointing outside is not followed either */
    g_autofree char *outside = g_build_filename(f->root, "outside", NULL);
    g_assert_true(g_file_set_contents(outside, "outside", -1, NULL));
    g_autofree char *link = g_build_filename(f->dir, "link", NULL);
    g_assert_cmpint(symlink(outside, link), ==, 0);

    start(f, 1, "a.txt", 3);
    g_assert_cmpuint(next_status(f, 1, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 1, (const uint8_t *)"new", 3);
    g_assert_cmpuint(next_status(f, 1, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    start(f, 2, "a.txt", 3);
    g_assert_cmpuint(next_status(f, 2, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 2, (const uint8_t *)"2nd", 3);
    g_assert_cmpuint(next_status(f, 2, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_SUCCESS);
    start(f, 3, "link", 3);
    g_assert_cmpuint(next_status(f, 3, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 3, (const uint8_t *)"lnk", 3);
    g_assert_cmpuint(next_status(f, 3, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_SUCCESS);

    g_autofree char *a = read_file(f, "a.txt");
    g_autofree char *a1 = read_file(f, "a (1).txt");
    g_autofree char *a2 = read_file(f, "a (2).txt");
    g_autofree char *l1 = read_file(f, "link (1)");
    g_assert_cmpstr(a, ==, "keep me");
    g_assert_cmpstr(a1, ==, "new");
    g_assert_cmpstr(a2, ==, "2nd");
    g_assert_cmpstr(l1, ==, "lnk");
    g_autofree char *o = NULL;
    g_assert_true(g_file_get_contents(outside, &o, NULL, NULL));
    g_assert_cmpstr(o, ==, "outside");
}

static void test_cancel_and_errors(struct fixture *f, gconstpointer data)
{
    start(f, 1, "part.bin", 100);
    g_assert_cmpuint(next_status(f, 1, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 1, (const uint8_t *)"0123456789", 10);
    /* half a file is never seen in the folder (an O_TMPFILE until complete) */
    g_assert_null(read_file(f, "part.bin"));
    g_assert_cmpint(count_files(f->dir), ==, 0);
    vdagent_file_xfer_status(f->fx, 1, VD_AGENT_FILE_XFER_STATUS_CANCELLED);
    g_assert_null(read_file(f, "part.bin"));
    /* data after the cancel is ignored */
    vdagent_file_xfer_data(f->fx, 1, (const uint8_t *)"x", 1);
    g_assert_cmpuint(vdagent_proto_pending(f->proto), ==, 0);
    g_assert_null(read_file(f, "part.bin"));

    /* more data than announced: error, file removed */
    start(f, 2, "short.bin", 4);
    g_assert_cmpuint(next_status(f, 2, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    vdagent_file_xfer_data(f->fx, 2, (const uint8_t *)"toolong", 7);
    g_assert_cmpuint(next_status(f, 2, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_ERROR);
    g_assert_null(read_file(f, "short.bin"));

    /* the same id twice */
    start(f, 3, "one", 5);
    g_assert_cmpuint(next_status(f, 3, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA);
    start(f, 3, "two", 5);
    g_assert_cmpuint(next_status(f, 3, NULL, NULL), ==, VD_AGENT_FILE_XFER_STATUS_ERROR);
    g_assert_null(read_file(f, "two"));

    /* the client goes away: open transfers leave nothing behind */
    vdagent_file_xfer_reset(f->fx);
    g_assert_null(read_file(f, "one"));
    g_assert_cmpint(count_files(f->dir), ==, 0);
}

static void test_not_enough_space(struct fixture *f, gconstpointer data)
{
    start(f, 7, "huge.iso", G_GUINT64_CONSTANT(1) << 62);
    size_t detail = 0;
    uint64_t free_bytes = 0;
    g_assert_cmpuint(next_status(f, 7, &detail, &free_bytes), ==,
                     VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE);
    g_assert_cmpuint(detail, ==, 8);
    g_assert_cmpuint(free_bytes, >, 0);
    g_assert_cmpuint(free_bytes, <, G_GUINT64_CONSTANT(1) << 62);
    g_assert_null(read_file(f, "huge.iso"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* refusals log warnings by design */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
#define ADD(name, fn) g_test_add("/vdagent-file-xfer/" name, struct fixture, NULL, setup, fn, \
                                 teardown)
    g_test_add_func("/vdagent-file-xfer/names", test_names);
    ADD("receive", test_receive);
    ADD("traversal-refused", test_traversal_refused);
    ADD("no-overwrite", test_no_overwrite);
    ADD("cancel-and-errors", test_cancel_and_errors);
    ADD("not-enough-space", test_not_enough_space);
    return g_test_run();
}
