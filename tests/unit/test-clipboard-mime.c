/* clipboard-mime: which desktop types count as text or image and in what
 * order, what we offer, and how read data becomes UTF-8 or PNG, with
 * malformed input (invalid UTF-8, bytes that are no image, empty data). */
#include <glib.h>
#include <string.h>

#include "display/clipboard-mime.h"
#include "display/clipboard.h"

static void test_ranks(void)
{
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_TEXT, "text/plain;charset=utf-8"), ==, 0);
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_TEXT, "STRING"), >, 0);
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_TEXT, "image/png"), ==, -1);
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_PNG, "image/png"), ==, 0);
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_PNG, "image/jpeg"), >,
                    clipboard_mime_rank(CLIPBOARD_FMT_PNG, "image/bmp"));
    g_assert_cmpint(clipboard_mime_rank(CLIPBOARD_FMT_PNG, "image/x-unknown"), ==, -1);
    g_assert_cmpint(clipboard_mime_rank(99, "text/plain"), ==, -1);
    /* The static copy, not the caller's string. */
    char mime[] = "UTF8_STRING";
    const char *s = clipboard_mime_static(CLIPBOARD_FMT_TEXT, mime);
    g_assert_nonnull(s);
    g_assert_true(s != mime);
    g_assert_cmpstr(s, ==, mime);
    g_assert_null(clipboard_mime_static(CLIPBOARD_FMT_TEXT, "text/html"));
}

static void test_offered(void)
{
    size_t n;
    const char *const *t = clipboard_mime_offered(CLIPBOARD_FMT_TEXT, &n);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmpstr(t[0], ==, "text/plain;charset=utf-8");
    for (size_t i = 0; i < n; i++)
        g_assert_cmpint(clipboard_mime_format_of_offered(t[i]), ==, CLIPBOARD_FMT_TEXT);
    t = clipboard_mime_offered(CLIPBOARD_FMT_PNG, &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpstr(t[0], ==, "image/png");
    g_assert_cmpint(clipboard_mime_format_of_offered("image/png"), ==, CLIPBOARD_FMT_PNG);
    /* We read BMP but never offer it. */
    g_assert_cmpint(clipboard_mime_format_of_offered("image/bmp"), ==, -1);
    g_assert_cmpint(clipboard_mime_format_of_offered(""), ==, -1);
}

static void test_normalize_text(void)
{
    size_t n = 99;
    const char utf8[] = "gr\xc3\xbc\xc3\x9f" "e";
    g_autofree uint8_t *a = clipboard_mime_normalize(CLIPBOARD_FMT_TEXT, "UTF8_STRING",
                                                     (const uint8_t *)utf8, strlen(utf8), &n);
    g_assert_cmpmem(a, n, utf8, strlen(utf8));
    /* Not UTF-8 (Latin-1 ü): taken as Latin-1. */
    const uint8_t latin1[] = {'g', 'r', 0xfc, 'n'};
    g_autofree uint8_t *b =
        clipboard_mime_normalize(CLIPBOARD_FMT_TEXT, "STRING", latin1, sizeof latin1, &n);
    g_assert_cmpmem(b, n, "gr\xc3\xbcn", 5);
    /* Empty is empty, not refused. */
    g_autofree uint8_t *c = clipboard_mime_normalize(CLIPBOARD_FMT_TEXT, "text/plain", NULL, 0, &n);
    g_assert_nonnull(c);
    g_assert_cmpuint(n, ==, 0);
}

static void test_normalize_image(void)
{
    size_t n = 0;
    const uint8_t junk[] = "this is no image at all";
    /* PNG passes as it is (the reader checks nothing here). */
    g_autofree uint8_t *a =
        clipboard_mime_normalize(CLIPBOARD_FMT_PNG, "image/png", junk, sizeof junk, &n);
    g_assert_cmpmem(a, n, junk, sizeof junk);
    /* Other types are decoded: junk fails cleanly. */
    g_assert_null(clipboard_mime_normalize(CLIPBOARD_FMT_PNG, "image/bmp", junk, sizeof junk, &n));
    g_assert_null(clipboard_mime_normalize(CLIPBOARD_FMT_PNG, "image/jpeg", junk, 3, &n));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clipboard-mime/ranks", test_ranks);
    g_test_add_func("/clipboard-mime/offered", test_offered);
    g_test_add_func("/clipboard-mime/normalize-text", test_normalize_text);
    g_test_add_func("/clipboard-mime/normalize-image", test_normalize_image);
    return g_test_run();
}
