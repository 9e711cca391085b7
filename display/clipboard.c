#include "display/clipboard-priv.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "display/clipboard-x11.h"

static const struct clipboard_ops *const backends[] = {
    &clipboard_x11_ops,
    &clipboard_wlr_ops,
    &clipboard_mutter_ops,
};

struct clipboard *clipboard_create(const struct clipboard_config *config,
                                   const struct clipboard_listener *listener, char **ret_error)
{
    const char *name = config->backend ? config->backend : "x11";
    const struct clipboard_ops *ops = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        if (strcmp(backends[i]->name, name) == 0)
            ops = backends[i];
    if (!ops) {
        *ret_error = g_strdup_printf("unknown clipboard backend '%s' (expected x11, wlr or mutter)", name);
        return NULL;
    }
    struct clipboard *c = g_new0(struct clipboard, 1);
    c->ops = ops;
    c->listener = *listener;
    if (ops->create(c, config, ret_error) < 0) {
        g_free(c);
        return NULL;
    }
    return c;
}

void clipboard_destroy(struct clipboard *c)
{
    if (!c)
        return;
    c->ops->destroy(c);
    g_free(c);
}

const char *clipboard_name(const struct clipboard *c)
{
    return c->ops->name;
}

void clipboard_own(struct clipboard *c, int sel, unsigned formats)
{
    c->ops->own(c, sel, formats);
}

void clipboard_disown(struct clipboard *c, int sel)
{
    c->ops->disown(c, sel);
}

void clipboard_request(struct clipboard *c, int sel, int format)
{
    c->ops->request(c, sel, format);
}

void clipboard_provide(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len)
{
    c->ops->provide(c, sel, format, data, len);
}

/* --- x11: clipboard-x11 keeps its own API (its tests use it directly) --- */

static int x11_create(struct clipboard *c, const struct clipboard_config *config, char **ret_error)
{
    c->priv = clipboard_x11_create(config->display, config->max_size, &c->listener, ret_error);
    return c->priv ? 0 : -ENODEV;
}

static void x11_destroy(struct clipboard *c)
{
    clipboard_x11_destroy(c->priv);
}

static void x11_own(struct clipboard *c, int sel, unsigned formats)
{
    clipboard_x11_own(c->priv, sel, formats);
}

static void x11_disown(struct clipboard *c, int sel)
{
    clipboard_x11_disown(c->priv, sel);
}

static void x11_request(struct clipboard *c, int sel, int format)
{
    clipboard_x11_request(c->priv, sel, format);
}

static void x11_provide(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len)
{
    clipboard_x11_provide(c->priv, sel, format, data, len);
}

const struct clipboard_ops clipboard_x11_ops = {
    .name = "x11",
    .create = x11_create,
    .destroy = x11_destroy,
    .own = x11_own,
    .disown = x11_disown,
    .request = x11_request,
    .provide = x11_provide,
};
