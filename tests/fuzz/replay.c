/* Runs a libFuzzer harness over every file of its corpus folders, so the
 * corpus (real fixtures, hostile samples, minimised crashers) is an ordinary
 * regression test in the default build.  Under ASan+UBSan a crash fails it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return -1;
        uint8_t *data = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (len == cap) {
                        cap = cap ? cap * 2 : 65536;
                        uint8_t *p = realloc(data, cap);
                        if (!p) {
                                free(data);
                                fclose(f);
                                return -1;
                        }
                        data = p;
                }
                size_t n = fread(data + len, 1, cap - len, f);
                if (n == 0)
                        break;
                len += n;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(data, len);
        free(data);
        return 1;
}

static long run_path(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "replay: %s: not found\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return run_file(path);
        DIR *d = opendir(path);
        if (!d)
                return -1;
        long n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char sub[4096];
                snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                long r = run_path(sub);
                if (r < 0) {
                        closedir(d);
                        return -1;
                }
                n += r;
        }
        closedir(d);
        return n;
}

int main(int argc, char **argv)
{
        long total = 0;
        for (int i = 1; i < argc; i++) {
                long n = run_path(argv[i]);
                if (n < 0)
                        return 1;
                total += n;
        }
        printf("replayed %ld inputs\n", total);
        /* An empty corpus proves nothing. */
        return total > 0 ? 0 : 1;
}
