/* sonae jma parse FILE...: each telegram as one JSON object per line (JSON
 * Lines), in the order given.  A refused file gets one line on stderr naming
 * the reason and makes the exit status 1; the other files are still read.
 * Level-table notes (unknown Kind codes, 「レベルN」 mismatches) go to stderr
 * as "note:" lines and do not change the exit status. */
#include "cli.h"
#include "jma_json.h"
#include "jma_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads at most cap + 1 bytes, so an oversized file is never read whole. */
static int read_capped(const char *path, size_t cap, struct buf *b)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int ret = 0;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                ret = -errno;
                goto out;
        }
        if (S_ISDIR(st.st_mode)) {
                ret = -EISDIR;
                goto out;
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > cap) {
                ret = -EFBIG;
                goto out;
        }
        char chunk[65536];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        ret = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                if (b->len + (size_t)n > cap) {
                        ret = -EFBIG;
                        goto out;
                }
                ret = buf_append(b, chunk, (size_t)n);
                if (ret < 0)
                        goto out;
        }
out:
        close(fd);
        return ret;
}

static void print_notes(const char *path, const struct jma_report *r)
{
        for (size_t i = 0; i < r->n_notes; i++) {
                const struct jma_note *n = &r->notes[i];
                if (n->kind == JMA_NOTE_UNKNOWN_CODE)
                        fprintf(stderr,
                                "sonae jma parse: %s: note: Kind code %s (%s) is not in the level "
                                "table for %s/%s; level null\n",
                                path, n->code, n->name ? n->name : "no name",
                                jma_family_name(n->family), jma_generation_name(n->generation));
                else
                        fprintf(stderr,
                                "sonae jma parse: %s: note: Kind code %s (%s) names レベル%d but "
                                "the level table says %d\n",
                                path, n->code, n->name ? n->name : "no name", n->name_level,
                                n->table_level);
        }
}

static int parse_one(const char *path, struct buf *line)
{
        struct buf doc = BUF_INIT(JMA_DEFAULT_MAX_BYTES + 1);
        struct jma_report *r = NULL;
        struct jma_parse_error err;
        int ret = read_capped(path, JMA_DEFAULT_MAX_BYTES, &doc);
        if (ret == -EFBIG) {
                fprintf(stderr, "sonae jma parse: %s: refused (too large): more than %zu bytes\n",
                        path, JMA_DEFAULT_MAX_BYTES);
                goto out;
        }
        if (ret < 0) {
                fprintf(stderr, "sonae jma parse: %s: cannot read: %s\n", path, strerror(-ret));
                goto out;
        }
        ret = jma_parse(doc.data ? doc.data : "", doc.len, NULL, &r, &err);
        if (ret < 0) {
                fprintf(stderr, "sonae jma parse: %s: refused (%s): %s\n", path,
                        jma_refusal_name(err.reason), err.message);
                goto out;
        }
        print_notes(path, r);
        buf_reset(line);
        ret = jma_report_json(r, line);
        if (ret == 0)
                ret = buf_putc(line, '\n');
        if (ret < 0) {
                fprintf(stderr, "sonae jma parse: %s: output too large: %s\n", path,
                        strerror(-ret));
                goto out;
        }
        if (fwrite(line->data, 1, line->len, stdout) != line->len || fflush(stdout) != 0) {
                ret = -EIO;
                fprintf(stderr, "sonae jma parse: cannot write output\n");
        }
out:
        jma_report_free(r);
        buf_free(&doc);
        return ret;
}

int cmd_jma(int argc, char **argv, const struct cli_common *common)
{
        (void)common;
        if (argc < 3 || strcmp(argv[1], "parse") != 0) {
                fprintf(stderr, "usage: sonae jma parse FILE...\n");
                return 2;
        }
        int failed = 0;
        struct buf line = BUF_INIT((size_t)512 * 1024 * 1024);
        for (int i = 2; i < argc; i++)
                if (parse_one(argv[i], &line) < 0)
                        failed++;
        buf_free(&line);
        return failed ? 1 : 0;
}
