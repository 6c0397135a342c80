/* Every key of every built-in source type, and every framework key, is
 * documented in docs/collectd.md or docs/sources/ (as `key` in a table),
 * and every type has a summary, a key table and its three functions. */
#include "check.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
                free(b);
                b = NULL;
        }
        if (b)
                b[n] = '\0';
        fclose(f);
        return b;
}

int main(void)
{
        const char *root = getenv("SONAE_SOURCE_ROOT") ? getenv("SONAE_SOURCE_ROOT") : ".";
        const char *pages[] = {"docs/collectd.md", "docs/sources/rivers.md", "docs/sources/rain.md",
                               "docs/sources/cameras.md"};
        char *text[4];
        size_t total = 0;
        for (int i = 0; i < 4; i++) {
                char p[1024];
                snprintf(p, sizeof(p), "%s/%s", root, pages[i]);
                text[i] = slurp(p);
                CHECK(text[i] != NULL);
                total += text[i] ? strlen(text[i]) : 0;
        }
        char *all = calloc(1, total + 1);
        for (int i = 0; i < 4 && all; i++)
                if (text[i])
                        strcat(all, text[i]);
        size_t n_types = 0;
        for (size_t t = 0; source_types[t]; t++, n_types++) {
                const struct source_type *st = source_types[t];
                CHECK(st->summary && st->options && st->configure && st->poll && st->destroy);
                char want[96];
                snprintf(want, sizeof(want), "`%s`", st->name);
                if (!strstr(all, want) && !st->section) {
                        fprintf(stderr, "type %s is not documented\n", st->name);
                        CHECK(0);
                }
                for (const struct conf_option *o = st->options; o->key; o++) {
                        snprintf(want, sizeof(want), "`%s`", o->key);
                        if (!strstr(all, want)) {
                                fprintf(stderr, "%s: key %s is not documented\n", st->name, o->key);
                                CHECK(0);
                        } else {
                                CHECK(1);
                        }
                        CHECK(o->doc && o->doc[0]);
                }
        }
        CHECK(n_types >= 4);
        for (const struct conf_option *o = source_common_options; o->key; o++) {
                char want[96];
                snprintf(want, sizeof(want), "| `%s` |", o->key);
                CHECK(text[0] && strstr(text[0], want) != NULL);
        }
        for (int i = 0; i < 4; i++)
                free(text[i]);
        free(all);
        return check_done("collectors-source-docs");
}
