/* The page's clipboard against a scripted desktop clipboard: both ways,
 * text and PNG, the size cap, the policy, bad data, echoes. */
#include <glib.h>
#include <string.h>

#include "agent/vdagent-clipboard.h"
#include "agent/web/web-clipboard.h"
#include "agent/web/web-proto.h"
#include "display/clipboard.h"

struct fake {
    struct web_clipboard *wc;
    unsigned owned; /* formats we hold; 0: none */
    int owns, disowns, requests, last_request;
    int provides;
    GBytes *provided[CLIPBOARD_N_FORMATS];
    GPtrArray *sent; /* GBytes of agent-to-page messages */
};

static void d_own(void *data, unsigned formats)
{
    struct fake *f = data;
    f->owned = formats;
    f->owns++;
}

static void d_disown(void *data)
{
    struct fake *f = data;
    f->owned = 0;
    f->disowns++;
}

static void d_request(void *data, int format)
{
    struct fake *f = data;
    f->requests++;
    f->last_request = format;
}

static void d_provide(void *data, int format, const uint8_t *bytes, size_t len)
{
    struct fake *f = data;
    f->provides++;
    g_clear_pointer(&f->provided[format], g_bytes_unref);
    if (bytes)
        f->provided[format] = g_bytes_new(bytes, len);
}

static void send_msg(GBytes *msg, void *data)
{
    struct fake *f = data;
    g_ptr_array_add(f->sent, g_bytes_ref(msg));
}

static void setup(struct fake *f, int policy, size_t max)
{
    memset(f, 0, sizeof(*f));
    f->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    f->last_request = -1;
    struct web_clipboard_config c = {
        .policy = policy, .max_size = max, .send = send_msg, .send_data = f};
    struct web_clipboard_desktop d = {
        .own = d_own, .disown = d_disown, .request = d_request, .provide = d_provide, .data = f};
    f->wc = web_clipboard_create(&c, &d);
}

static void teardown(struct fake *f)
{
    web_clipboard_destroy(f->wc);
    for (int i = 0; i < CLIPBOARD_N_FORMATS; i++)
        g_clear_pointer(&f->provided[i], g_bytes_unref);
    g_ptr_array_unref(f->sent);
}

static void page_sends(struct fake *f, int kind, const void *bytes, size_t len)
{
    uint8_t *msg = g_malloc(len + 2);
    msg[0] = 0x84;
    msg[1] = (uint8_t)kind;
    memcpy(msg + 2, bytes, len);
    struct web_page_msg m;
    g_assert_cmpint(web_proto_parse(msg, len + 2, &m, NULL), ==, 0);
    web_clipboard_page_data(f->wc, m.u.clipboard.kind, m.u.clipboard.data, m.u.clipboard.len);
    g_free(msg);
}

static void assert_sent(struct fake *f, guint i, int kind, const char *bytes, size_t len)
{
    g_assert_cmpuint(f->sent->len, >, i);
    size_t n;
    const uint8_t *p = g_bytes_get_data(f->sent->pdata[i], &n);
    g_assert_cmpuint(n, ==, len + 2);
    g_assert_cmpuint(p[0], ==, 0x0a);
    g_assert_cmpuint(p[1], ==, kind);
    g_assert_cmpmem(p + 2, len, bytes, len);
}

static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H'};

static void test_desktop_to_page(void)
{
    struct fake f;
    setup(&f, CLIPBOARD_POLICY_BOTH, 1024);
    /* before a page connects: nothing read */
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT | 1u << CLIPBOARD_FMT_PNG);
    g_assert_cmpint(f.requests, ==, 0);
    /* the page connects: text preferred */
    web_clipboard_page_ready(f.wc);
    g_assert_cmpint(f.requests, ==, 1);
    g_assert_cmpint(f.last_request, ==, CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, (const uint8_t *)"héllo", 6);
    assert_sent(&f, 0, 1, "héllo", 6);
    /* an image only */
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_PNG);
    g_assert_cmpint(f.last_request, ==, CLIPBOARD_FMT_PNG);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_PNG, png, sizeof(png));
    assert_sent(&f, 1, 2, (const char *)png, sizeof(png));
    /* an answer nobody asked for is not passed on */
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, (const uint8_t *)"x", 1);
    g_assert_cmpuint(f.sent->len, ==, 2);
    /* the owner could not answer */
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, NULL, 0);
    g_assert_cmpuint(f.sent->len, ==, 2);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 0);
    teardown(&f);
}

/* The cap applies both ways; display/clipboard reports an oversized
 * owner as NULL with the length it offered. */
static void test_size_limit(void)
{
    struct fake f;
    setup(&f, CLIPBOARD_POLICY_BOTH, 16);
    web_clipboard_page_ready(f.wc);
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, NULL, 17);
    g_assert_cmpuint(f.sent->len, ==, 0);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 1);
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, (const uint8_t *)"0123456789abcdefg", 17);
    g_assert_cmpuint(f.sent->len, ==, 0);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 2);
    /* exactly the cap passes */
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, (const uint8_t *)"0123456789abcdef", 16);
    g_assert_cmpuint(f.sent->len, ==, 1);
    /* from the page */
    page_sends(&f, 1, "0123456789abcdefg", 17);
    g_assert_cmpint(f.owns, ==, 0);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 3);
    page_sends(&f, 1, "fedcba9876543210", 16);
    g_assert_cmpint(f.owns, ==, 1);
    teardown(&f);
}

static void test_page_to_desktop(void)
{
    struct fake f;
    setup(&f, CLIPBOARD_POLICY_BOTH, 1024);
    web_clipboard_page_ready(f.wc);
    page_sends(&f, 1, "from the page", 13);
    g_assert_cmpuint(f.owned, ==, 1u << CLIPBOARD_FMT_TEXT);
    g_assert_nonnull(f.provided[CLIPBOARD_FMT_TEXT]);
    g_assert_cmpmem(g_bytes_get_data(f.provided[CLIPBOARD_FMT_TEXT], NULL), 13, "from the page",
                    13);
    /* the same again (the page re-reads its clipboard on focus): no churn */
    page_sends(&f, 1, "from the page", 13);
    g_assert_cmpint(f.owns, ==, 1);
    /* a desktop client asks for a format the page did not give: refused */
    web_clipboard_desktop_request(f.wc, CLIPBOARD_FMT_PNG);
    g_assert_null(f.provided[CLIPBOARD_FMT_PNG]);
    /* an image */
    page_sends(&f, 2, png, sizeof(png));
    g_assert_cmpuint(f.owned, ==, 1u << CLIPBOARD_FMT_PNG);
    g_assert_cmpint(f.owns, ==, 2);
    /* bad data: not UTF-8, not a PNG, empty */
    page_sends(&f, 1, "\xff\xfe", 2);
    page_sends(&f, 2, "GIF89a..", 8);
    page_sends(&f, 2, "\x89PN", 3);
    page_sends(&f, 1, "", 0);
    g_assert_cmpint(f.owns, ==, 2);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 3);
    /* the page goes away: its offer is withdrawn */
    web_clipboard_page_gone(f.wc);
    g_assert_cmpint(f.disowns, ==, 1);
    g_assert_cmpuint(f.owned, ==, 0);
    teardown(&f);
}

/* What the page got from the desktop and sends back is not re-owned. */
static void test_no_echo(void)
{
    struct fake f;
    setup(&f, CLIPBOARD_POLICY_BOTH, 1024);
    web_clipboard_page_ready(f.wc);
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    web_clipboard_desktop_data(f.wc, CLIPBOARD_FMT_TEXT, (const uint8_t *)"desk", 4);
    g_assert_cmpuint(f.sent->len, ==, 1);
    page_sends(&f, 1, "desk", 4);
    g_assert_cmpint(f.owns, ==, 0);
    /* but new text is */
    page_sends(&f, 1, "page", 4);
    g_assert_cmpint(f.owns, ==, 1);
    teardown(&f);
}

static void test_policy(void)
{
    struct fake f;
    setup(&f, CLIPBOARD_POLICY_TO_GUEST, 1024);
    web_clipboard_page_ready(f.wc);
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    g_assert_cmpint(f.requests, ==, 0);
    page_sends(&f, 1, "in", 2);
    g_assert_cmpint(f.owns, ==, 1);
    teardown(&f);

    setup(&f, CLIPBOARD_POLICY_TO_CLIENT, 1024);
    web_clipboard_page_ready(f.wc);
    page_sends(&f, 1, "in", 2);
    g_assert_cmpint(f.owns, ==, 0);
    g_assert_cmpuint(web_clipboard_refused(f.wc), ==, 1);
    web_clipboard_desktop_grabbed(f.wc, 1u << CLIPBOARD_FMT_TEXT);
    g_assert_cmpint(f.requests, ==, 1);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-clipboard/desktop-to-page", test_desktop_to_page);
    g_test_add_func("/web-clipboard/size-limit", test_size_limit);
    g_test_add_func("/web-clipboard/page-to-desktop", test_page_to_desktop);
    g_test_add_func("/web-clipboard/no-echo", test_no_echo);
    g_test_add_func("/web-clipboard/policy", test_policy);
    return g_test_run();
}
