#include "river.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void parse_note(struct parse_notes *n, const char *fmt, ...)
{
        if (!n)
                return;
        n->skipped++;
        if (n->n_kept >= PARSE_NOTES_KEEP)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(n->reason[n->n_kept], sizeof(n->reason[0]), fmt, ap);
        va_end(ap);
        n->n_kept++;
}

void gauge_clear(struct gauge *g)
{
        memset(g, 0, sizeof(*g));
        g->lat = g->lon = NAN;
        g->level_m = NAN;
        level_thresholds_clear(&g->th);
}

int gauge_set_add(struct gauge_set *s, const struct gauge *g)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                struct gauge *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = *g;
        return 0;
}

void gauge_set_free(struct gauge_set *s)
{
        if (!s)
                return;
        free(s->v);
        s->v = NULL;
        s->n = s->cap = 0;
}

int rain_set_add(struct rain_set *s, const struct rain *r)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                struct rain *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = *r;
        return 0;
}

void rain_set_free(struct rain_set *s)
{
        if (!s)
                return;
        free(s->v);
        s->v = NULL;
        s->n = s->cap = 0;
}

static bool space_at(const char *s, size_t *w)
{
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
                *w = 1;
                return true;
        }
        if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
            (unsigned char)s[2] == 0x80) {
                *w = 3;
                return true;
        }
        return false;
}

void river_copy_str(char *dst, size_t len, const char *src)
{
        if (!len)
                return;
        dst[0] = '\0';
        if (!src)
                return;
        size_t w;
        while (*src && space_at(src, &w))
                src += w;
        size_t l = strlen(src);
        /* Trailing spaces: walk back over ASCII and U+3000. */
        for (;;) {
                if (l >= 1 && (src[l - 1] == ' ' || src[l - 1] == '\t' || src[l - 1] == '\r' ||
                               src[l - 1] == '\n')) {
                        l--;
                        continue;
                }
                if (l >= 3 && space_at(src + l - 3, &w) && w == 3) {
                        l -= 3;
                        continue;
                }
                break;
        }
        if (l >= len) {
                l = len - 1;
                /* Do not cut inside a multi-byte character. */
                while (l > 0 && ((unsigned char)src[l] & 0xC0) == 0x80)
                        l--;
        }
        memcpy(dst, src, l);
        dst[l] = '\0';
}
