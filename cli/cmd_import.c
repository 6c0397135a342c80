/* sonae import hazard|shelters|areas|districts|addresses|roads|rivers FILE [--name N]
 * [--version V] [options]: official geodata into the store (docs/geo.md).
 * One transaction per import: an error leaves the store as it was, and a
 * hazard layer's current version keeps serving.  Prints a one-line
 * report, warnings (datum accuracy, repaired geometries) on stderr, and
 * progress on stderr for long imports. */
#include "cli.h"
#include "config.h"
#include "import.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
        fprintf(stderr,
                "usage: sonae import hazard|shelters|areas|districts|addresses|roads|rivers FILE "
                "[--name N] "
                "[--version V]\n"
                "  hazard:    [--class ATTR --hazard KIND [--title T]] for layers other than "
                "A31/A33\n"
                "  districts: [--kind district|school|community] [--code-attr A] [--name-attr A]\n"
                "  roads:     OSM PBF or any line layer [--name-attr A] (street names)\n"
                "  rivers:    any line layer (W05 河川 ...) [--name-attr A] (river names)\n");
}

struct prog {
        size_t last_pct;
        bool tty;
};

static void on_progress(void *ctx, size_t done, size_t total)
{
        struct prog *p = ctx;
        if (total > 0) {
                size_t pct = done * 100 / total;
                if (pct >= p->last_pct + 10 || (done == total && p->last_pct != 100)) {
                        fprintf(stderr, "取り込み中 %zu/%zu (%zu%%)\n", done, total, pct);
                        p->last_pct = pct;
                }
        } else if (done % 10000 == 0 && done) {
                fprintf(stderr, "取り込み中 %zu 件\n", done);
        }
}

int cmd_import(int argc, char **argv, const struct cli_common *common)
{
        struct geo_import_opts o = {0};
        const char *kind = NULL, *file = NULL;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char **slot = NULL;
                if (strcmp(a, "--name") == 0)
                        slot = &o.name;
                else if (strcmp(a, "--version") == 0)
                        slot = &o.version;
                else if (strcmp(a, "--class") == 0)
                        slot = &o.class_attr;
                else if (strcmp(a, "--hazard") == 0)
                        slot = &o.hazard;
                else if (strcmp(a, "--title") == 0)
                        slot = &o.title;
                else if (strcmp(a, "--kind") == 0)
                        slot = &o.kind;
                else if (strcmp(a, "--code-attr") == 0)
                        slot = &o.code_attr;
                else if (strcmp(a, "--name-attr") == 0)
                        slot = &o.name_attr;
                if (slot) {
                        if (i + 1 >= argc) {
                                usage();
                                return 2;
                        }
                        *slot = argv[++i];
                } else if (a[0] == '-' && a[1]) {
                        usage();
                        return 2;
                } else if (!kind) {
                        kind = a;
                } else if (!file) {
                        file = a;
                } else {
                        usage();
                        return 2;
                }
        }
        if (!kind || !file) {
                usage();
                return 2;
        }
        struct sonae_config *cfg = NULL;
        if (daemon_load_config(common->config, NULL, &cfg) < 0)
                return 1;
        struct store *st = NULL;
        int rc = store_open_config(cfg, &st);
        if (rc < 0) {
                fprintf(stderr, "sonae import: store %s: %s\n",
                        cfg->store.path ? cfg->store.path : "", store_strerror(rc));
                conf_free(cfg);
                return 1;
        }
        struct prog p = {.tty = isatty(2)};
        o.progress = on_progress;
        o.progress_ctx = &p;
        struct geo_import_report rep;
        rc = geo_import(st, kind, file, &o, &rep);
        store_close(st);
        conf_free(cfg);
        if (rep.warning[0])
                fprintf(stderr, "sonae import: 注意: %s\n", rep.warning);
        if (rc < 0) {
                fprintf(stderr, "sonae import %s: %s\n", kind,
                        rep.error[0] ? rep.error : store_strerror(rc));
                fprintf(stderr, "sonae import: 何も変更していません (nothing changed)\n");
                return 1;
        }
        if (strcmp(kind, "roads") == 0)
                printf("imported roads %s version %s: %zu edges (%zu lines skipped)\n", rep.layer,
                       rep.version, rep.imported, rep.skipped);
        else if (strcmp(kind, "rivers") == 0)
                printf("imported rivers %s version %s: %zu lines, %zu tiles\n", rep.layer,
                       rep.version, rep.imported, rep.tiles);
        else if (rep.layer[0])
                printf("imported %s %s version %s: %zu features (%zu repaired), %zu tiles\n", kind,
                       rep.layer, rep.version, rep.imported, rep.repaired, rep.tiles);
        else
                printf("imported %s: %zu of %zu (%zu skipped, %zu linked)\n", kind, rep.imported,
                       rep.read, rep.skipped, rep.linked);
        return 0;
}
