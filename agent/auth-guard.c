#include "agent/auth-guard.h"

#include <glib.h>

struct entry {
    unsigned failures;
    int64_t last_ms;
};

struct auth_guard {
    GHashTable *by_address; /* char* -> struct entry* */
};

struct auth_guard *auth_guard_create(void)
{
    struct auth_guard *g = g_new0(struct auth_guard, 1);
    g->by_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return g;
}

void auth_guard_destroy(struct auth_guard *g)
{
    if (!g)
        return;
    g_hash_table_destroy(g->by_address);
    g_free(g);
}

static void forget_stale(struct auth_guard *g, int64_t now_ms)
{
    GHashTableIter it;
    gpointer key, value;
    const char *stalest = NULL;
    int64_t stalest_ms = INT64_MAX;
    g_hash_table_iter_init(&it, g->by_address);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        struct entry *e = value;
        if (now_ms - e->last_ms > AUTH_GUARD_FORGET_MS) {
            g_hash_table_iter_remove(&it);
        } else if (e->last_ms < stalest_ms) {
            stalest_ms = e->last_ms;
            stalest = key;
        }
    }
    if (g_hash_table_size(g->by_address) >= AUTH_GUARD_MAX_ADDRESSES && stalest)
        g_hash_table_remove(g->by_address, stalest);
}

void auth_guard_failed(struct auth_guard *g, const char *address, int64_t now_ms)
{
    struct entry *e = g_hash_table_lookup(g->by_address, address);
    if (!e) {
        if (g_hash_table_size(g->by_address) >= AUTH_GUARD_MAX_ADDRESSES / 2)
            forget_stale(g, now_ms);
        e = g_new0(struct entry, 1);
        g_hash_table_insert(g->by_address, g_strdup(address), e);
    } else if (now_ms - e->last_ms > AUTH_GUARD_FORGET_MS) {
        e->failures = 0;
    }
    if (e->failures < 1000)
        e->failures++;
    e->last_ms = now_ms;
}

void auth_guard_succeeded(struct auth_guard *g, const char *address)
{
    g_hash_table_remove(g->by_address, address);
}

int64_t auth_guard_delay_ms(struct auth_guard *g, const char *address, int64_t now_ms)
{
    struct entry *e = g_hash_table_lookup(g->by_address, address);
    if (!e || e->failures <= AUTH_GUARD_FREE || now_ms - e->last_ms > AUTH_GUARD_FORGET_MS)
        return 0;
    unsigned shift = e->failures - AUTH_GUARD_FREE - 1;
    int64_t delay = shift >= 15 ? AUTH_GUARD_MAX_DELAY_MS : (int64_t)1000 << shift;
    if (delay > AUTH_GUARD_MAX_DELAY_MS)
        delay = AUTH_GUARD_MAX_DELAY_MS;
    /* The delay counts from the last failure. */
    int64_t left = e->last_ms + delay - now_ms;
    return left > 0 ? left : 0;
}

unsigned auth_guard_failures(struct auth_guard *g, const char *address)
{
    struct entry *e = g_hash_table_lookup(g->by_address, address);
    return e ? e->failures : 0;
}
