#include <glib.h>

#include "display/damage.h"

static void test_starts_full(void)
{
    struct damage *d = damage_create(100, 50);
    g_assert_false(damage_is_empty(d));
    g_assert_cmpint(damage_area(d), ==, 5000);
    struct damage_rect r[4];
    g_assert_cmpint(damage_take(d, r, 4), ==, 1);
    g_assert_cmpint(r[0].x, ==, 0);
    g_assert_cmpint(r[0].w, ==, 100);
    g_assert_cmpint(r[0].h, ==, 50);
    g_assert_true(damage_is_empty(d));
    damage_destroy(d);
}

static void test_clipping(void)
{
    struct damage *d = damage_create(100, 100);
    damage_clear(d);
    damage_add(d, -10, -10, 20, 20);   /* partly off the top-left */
    damage_add(d, 95, 95, 1000, 1000); /* partly off the bottom-right */
    damage_add(d, 200, 200, 10, 10);   /* entirely off screen */
    damage_add(d, 10, 10, 0, 5);       /* empty */
    damage_add(d, 10, 10, -5, 5);      /* negative */
    damage_add(d, G_MAXINT - 1, 0, G_MAXINT, 10); /* overflowing */
    g_assert_cmpint(damage_area(d), ==, 100 + 25);
    struct damage_rect r[8];
    int n = damage_take(d, r, 8);
    g_assert_cmpint(n, ==, 2);
    for (int i = 0; i < n; i++) {
        g_assert_cmpint(r[i].x, >=, 0);
        g_assert_cmpint(r[i].y, >=, 0);
        g_assert_cmpint(r[i].x + r[i].w, <=, 100);
        g_assert_cmpint(r[i].y + r[i].h, <=, 100);
    }
    damage_destroy(d);
}

static void test_union_and_overlap(void)
{
    struct damage *d = damage_create(1000, 1000);
    damage_clear(d);
    damage_add(d, 0, 0, 100, 100);
    damage_add(d, 50, 50, 100, 100); /* overlaps: counted once */
    g_assert_cmpint(damage_area(d), ==, 100 * 100 * 2 - 50 * 50);
    struct damage_rect r[8];
    int n = damage_take(d, r, 8);
    long long area = 0;
    for (int i = 0; i < n; i++)
        area += (long long)r[i].w * r[i].h;
    g_assert_cmpint(area, ==, 100 * 100 * 2 - 50 * 50);
    damage_destroy(d);
}

static void test_far_apart_stay_separate(void)
{
    struct damage *d = damage_create(1920, 1080);
    damage_clear(d);
    damage_add(d, 0, 0, 10, 10);
    damage_add(d, 1900, 1000, 10, 10);
    struct damage_rect r[8];
    g_assert_cmpint(damage_take(d, r, 8), ==, 2);
    damage_destroy(d);
}

static void test_too_many_become_extents(void)
{
    struct damage *d = damage_create(1000, 1000);
    damage_clear(d);
    for (int i = 0; i < 20; i++)
        damage_add(d, i * 40, i * 40, 10, 10);
    struct damage_rect r[4];
    g_assert_cmpint(damage_take(d, r, 4), ==, 1);
    g_assert_cmpint(r[0].x, ==, 0);
    g_assert_cmpint(r[0].y, ==, 0);
    g_assert_cmpint(r[0].w, ==, 19 * 40 + 10);
    g_assert_cmpint(r[0].h, ==, 19 * 40 + 10);
    damage_destroy(d);
}

static void test_dense_becomes_extents(void)
{
    struct damage *d = damage_create(1000, 1000);
    damage_clear(d);
    damage_add(d, 0, 0, 100, 100);
    damage_add(d, 100, 0, 100, 95); /* bounding box 200x100, 97.5% covered */
    struct damage_rect r[8];
    g_assert_cmpint(damage_take(d, r, 8), ==, 1);
    g_assert_cmpint(r[0].w, ==, 200);
    g_assert_cmpint(r[0].h, ==, 100);
    damage_destroy(d);
}

static void test_resize_marks_all(void)
{
    struct damage *d = damage_create(100, 100);
    damage_clear(d);
    damage_resize(d, 300, 200);
    g_assert_cmpint(damage_area(d), ==, 300 * 200);
    damage_add(d, 250, 150, 100, 100); /* clipped to the new size */
    g_assert_cmpint(damage_area(d), ==, 300 * 200);
    damage_destroy(d);
    damage_destroy(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/damage/starts-full", test_starts_full);
    g_test_add_func("/damage/clipping", test_clipping);
    g_test_add_func("/damage/union", test_union_and_overlap);
    g_test_add_func("/damage/far-apart", test_far_apart_stay_separate);
    g_test_add_func("/damage/too-many", test_too_many_become_extents);
    g_test_add_func("/damage/dense", test_dense_becomes_extents);
    g_test_add_func("/damage/resize", test_resize_marks_all);
    return g_test_run();
}
