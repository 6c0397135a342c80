#include "jma_feed.h"

#include "timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATOM_NS "http://www.w3.org/2005/Atom"

static int fail(char *why, size_t why_len, int rc, const char *fmt, ...)
{
        if (why && why_len) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(why, why_len, fmt, ap);
                va_end(ap);
        }
        return rc;
}

static bool is_atom(const xmlNode *n, const char *name)
{
        return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
               strcmp((const char *)n->ns->href, ATOM_NS) == 0 &&
               strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
        for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (is_atom(c, name))
                        return c;
        return NULL;
}

/* The trimmed text of an element, malloc'd; NULL when absent or empty. */
static char *text_of(const xmlNode *n)
{
        if (!n)
                return NULL;
        xmlChar *t = xmlNodeGetContent(n);
        if (!t)
                return NULL;
        const char *s = (const char *)t;
        while (*s && isspace((unsigned char)*s))
                s++;
        size_t l = strlen(s);
        while (l && isspace((unsigned char)s[l - 1]))
                l--;
        char *out = l ? strndup(s, l) : NULL;
        xmlFree(t);
        return out;
}

void jma_feed_url_type(const char *href, char out[8])
{
        out[0] = '\0';
        const char *name = href ? strrchr(href, '/') : NULL;
        if (!name)
                return;
        /* YYYYMMDDhhmmss_0_TYPE_CCCCCC.xml */
        const char *u1 = strchr(name, '_');
        const char *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
        const char *u3 = u2 ? strchr(u2 + 1, '_') : NULL;
        if (!u3 || u3 - u2 - 1 < 4 || u3 - u2 - 1 > 7)
                return;
        for (const char *p = u2 + 1; p < u3; p++)
                if (!isalnum((unsigned char)*p))
                        return;
        memcpy(out, u2 + 1, (size_t)(u3 - u2 - 1));
        out[u3 - u2 - 1] = '\0';
}

static void entry_free(struct jma_feed_entry *e)
{
        free(e->title);
        free(e->author);
        free(e->href);
}

void jma_feed_free(struct jma_feed *f)
{
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                entry_free(&f->v[i]);
        free(f->v);
        f->v = NULL;
        f->n = 0;
}

static int64_t parse_time(const xmlNode *n)
{
        char *t = text_of(n);
        int64_t v = 0;
        if (t && time_parse_iso8601(t, 9 * 3600, &v) < 0)
                v = 0;
        free(t);
        return v;
}

int jma_feed_parse(const void *data, size_t len, struct jma_feed *out, char *why, size_t why_len)
{
        memset(out, 0, sizeof(*out));
        if (why && why_len)
                why[0] = '\0';
        if (!data || !len || len > INT32_MAX)
                return fail(why, why_len, -EBADMSG, "empty or oversized feed");
        /* Feeds never have a DOCTYPE; refusing one before parsing keeps
         * entity expansion out of the question. */
        if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!doctype", 9))
                return fail(why, why_len, -EPERM, "feed has a DOCTYPE");
        xmlDocPtr doc = xmlReadMemory(data, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        int rc = 0;
        if (!doc) {
                rc = fail(why, why_len, -EBADMSG, "feed is not well-formed XML");
                goto out;
        }
        const xmlNode *root = xmlDocGetRootElement(doc);
        if (!is_atom(root, "feed")) {
                rc = fail(why, why_len, -EPROTO, "root is not an Atom feed");
                goto out;
        }
        out->updated = parse_time(child(root, "updated"));
        size_t cap = 0;
        for (const xmlNode *e = root->children; e; e = e->next) {
                if (!is_atom(e, "entry"))
                        continue;
                char *href = NULL;
                for (const xmlNode *l = e->children; l && !href; l = l->next) {
                        if (!is_atom(l, "link"))
                                continue;
                        xmlChar *h = xmlGetProp(l, (const xmlChar *)"href");
                        if (h && (strncmp((const char *)h, "https://", 8) == 0 ||
                                  strncmp((const char *)h, "http://", 7) == 0))
                                href = strdup((const char *)h);
                        xmlFree(h);
                }
                if (!href)
                        continue;
                if (out->n == JMA_FEED_MAX_ENTRIES) {
                        free(href);
                        rc = fail(why, why_len, -E2BIG, "more than %d entries",
                                  JMA_FEED_MAX_ENTRIES);
                        goto out;
                }
                if (out->n == cap) {
                        size_t nc = cap ? cap * 2 : 64;
                        struct jma_feed_entry *nv = realloc(out->v, nc * sizeof(*nv));
                        if (!nv) {
                                free(href);
                                rc = fail(why, why_len, -ENOMEM, "out of memory");
                                goto out;
                        }
                        out->v = nv;
                        cap = nc;
                }
                struct jma_feed_entry *en = &out->v[out->n++];
                memset(en, 0, sizeof(*en));
                en->href = href;
                en->title = text_of(child(e, "title"));
                en->author = text_of(child(child(e, "author"), "name"));
                en->updated = parse_time(child(e, "updated"));
                jma_feed_url_type(href, en->type);
                if (!en->title)
                        en->title = strdup("");
                if (!en->author)
                        en->author = strdup("");
                if (!en->title || !en->author) {
                        rc = fail(why, why_len, -ENOMEM, "out of memory");
                        goto out;
                }
        }
out:
        xmlFreeDoc(doc);
        if (rc < 0)
                jma_feed_free(out);
        return rc;
}
