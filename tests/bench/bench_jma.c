/* Benchmark: JMA telegrams per second parsed into the normalised form
 * (jma_parse) against libxml2 alone parsing the same in-memory bytes into a
 * tree and freeing it, measured in the same run over the fixture corpus.
 * The ratio is what matters (the issue aims at >= 0.5x); absolute numbers
 * depend on the machine.
 *
 *   SONAE_FIXTURES=../shared/fixtures build/tests/bench/bench-jma [seconds]
 */
#include "buf.h"
#include "jma_json.h"
#include "jma_parse.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#define MAX_DOCS 1024

struct doc {
        char *data;
        size_t len;
};

static struct doc docs[MAX_DOCS];
static size_t n_docs, total_bytes;

static void load_dir(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)) && n_docs < MAX_DOCS) {
                size_t l = strlen(e->d_name);
                if (l < 4 || strcmp(e->d_name + l - 4, ".xml") != 0)
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                FILE *f = fopen(path, "rb");
                if (!f)
                        continue;
                struct buf b = BUF_INIT(JMA_DEFAULT_MAX_BYTES);
                char chunk[65536];
                size_t n;
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        if (buf_append(&b, chunk, n) < 0)
                                break;
                fclose(f);
                docs[n_docs].len = b.len;
                docs[n_docs].data = buf_steal(&b, &docs[n_docs].len);
                total_bytes += docs[n_docs].len;
                n_docs++;
        }
        closedir(d);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bare(const struct doc *d)
{
        xmlDocPtr x = xmlReadMemory(d->data, (int)d->len, NULL, "UTF-8",
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!x)
                return -1;
        xmlFreeDoc(x);
        return 0;
}

static int normalised(const struct doc *d)
{
        struct jma_report *r = NULL;
        int rc = jma_parse(d->data, d->len, NULL, &r, NULL);
        jma_report_free(r);
        return rc;
}

static int with_json(const struct doc *d)
{
        struct jma_report *r = NULL;
        int rc = jma_parse(d->data, d->len, NULL, &r, NULL);
        if (rc == 0) {
                struct buf b = BUF_INIT(0);
                rc = jma_report_json(r, &b);
                buf_free(&b);
        }
        jma_report_free(r);
        return rc;
}

/* Telegrams per second of fn over the whole corpus, for at least secs. */
static double rate(int (*fn)(const struct doc *), double secs, int *failures)
{
        long done = 0;
        double t0 = now(), t;
        do {
                for (size_t i = 0; i < n_docs; i++)
                        if (fn(&docs[i]) < 0)
                                (*failures)++;
                done += (long)n_docs;
                t = now();
        } while (t - t0 < secs);
        return (double)done / (t - t0);
}

int main(int argc, char **argv)
{
        double secs = argc > 1 ? strtod(argv[1], NULL) : 3.0;
        const char *fx = getenv("SONAE_FIXTURES");
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/jma_xml/official_samples", fx ? fx : "../shared/fixtures");
        load_dir(dir);
        snprintf(dir, sizeof(dir), "%s/jma_xml/operational", fx ? fx : "../shared/fixtures");
        load_dir(dir);
        if (n_docs == 0) {
                fprintf(stderr, "bench-jma: no fixtures found (set SONAE_FIXTURES)\n");
                return 1;
        }
        xmlInitParser();
        int fail = 0;
        /* Warm up both paths once so neither pays for first-touch costs. */
        rate(bare, 0.2, &fail);
        rate(normalised, 0.2, &fail);
        fail = 0;
        double b = rate(bare, secs, &fail);
        double n = rate(normalised, secs, &fail);
        double j = rate(with_json, secs, &fail);
        printf("corpus: %zu telegrams, %.1f MB\n", n_docs, (double)total_bytes / 1e6);
        printf("libxml2 tree only:        %9.0f telegrams/s\n", b);
        printf("jma_parse (normalised):   %9.0f telegrams/s  ratio %.2fx\n", n, n / b);
        printf("jma_parse + JSON line:    %9.0f telegrams/s  ratio %.2fx\n", j, j / b);
        if (fail)
                printf("failures: %d\n", fail);
        for (size_t i = 0; i < n_docs; i++)
                free(docs[i].data);
        return fail ? 1 : 0;
}
