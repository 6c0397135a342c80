/* The numbered migrations in geo/schema/: numbers run 1..N without gaps or
 * duplicates, every file is embedded in the binary, in order, and a store
 * migrated step by step reaches the newest version. */
#include "check.h"
#include "schema/schema.h"
#include "storetest.h"

#include <dirent.h>
#include <errno.h>

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

int main(void)
{
        const char *root = getenv("SONAE_SOURCE_ROOT");
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/geo/schema", root && root[0] ? root : ".");
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        int nums[1000];
        char names[1000][64];
        int n = 0;
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL && n < 1000) {
                size_t l = strlen(e->d_name);
                if (l < 4 || strcmp(e->d_name + l - 4, ".sql") != 0)
                        continue;
                /* NNNN_name.sql */
                int ok = l > 9 && e->d_name[4] == '_';
                for (int i = 0; i < 4 && ok; i++)
                        ok = e->d_name[i] >= '0' && e->d_name[i] <= '9';
                CHECK(ok);
                if (!ok) {
                        fprintf(stderr, "badly named migration: %s\n", e->d_name);
                        continue;
                }
                nums[n] = (e->d_name[0] - '0') * 1000 + (e->d_name[1] - '0') * 100 +
                          (e->d_name[2] - '0') * 10 + (e->d_name[3] - '0');
                snprintf(names[n], sizeof(names[n]), "%.*s", (int)(l - 9), e->d_name + 5);
                n++;
        }
        if (d)
                closedir(d);
        CHECK(n >= 1);
        int sorted[1000];
        memcpy(sorted, nums, sizeof(int) * (size_t)n);
        qsort(sorted, (size_t)n, sizeof(int), cmp_int);
        for (int i = 0; i < n; i++) {
                if (sorted[i] != i + 1)
                        fprintf(stderr, "migration %d: expected %d (gap or duplicate)\n", sorted[i],
                                i + 1);
                CHECK_INT(sorted[i], i + 1);
        }
        /* Every file is embedded under its number and name. */
        CHECK_INT(schema_n_migrations, n);
        CHECK_INT(store_schema_latest(), n);
        for (int i = 0; i < n; i++) {
                int v = nums[i];
                CHECK(v >= 1 && v <= schema_n_migrations);
                if (v < 1 || v > schema_n_migrations)
                        continue;
                CHECK_INT(schema_migrations[v - 1].version, v);
                CHECK_STR(schema_migrations[v - 1].name, names[i]);
                CHECK(strlen(schema_migrations[v - 1].sql) > 0);
        }

        /* Step by step: a store opened without migrating is at version 0;
         * store_migrate applies all, once. */
        char path[256];
        storetest_path("schema.db", path, sizeof(path));
        struct store_options o = {0};
        o.path = path;
        o.no_migrate = true;
        struct store *st = NULL;
        CHECK_INT(store_open(&o, &st), 0);
        int ver = -1, applied = -1;
        CHECK_INT(store_schema_version(st, &ver), 0);
        CHECK_INT(ver, 0);
        char why[128];
        CHECK_INT(store_check(st, why, sizeof(why)), -EBADMSG);
        CHECK(strstr(why, "schema version 0") != NULL);
        CHECK_INT(store_migrate(st, &applied), 0);
        CHECK_INT(applied, n);
        CHECK_INT(store_migrate(st, &applied), 0);
        CHECK_INT(applied, 0);
        CHECK_INT(store_check(st, why, sizeof(why)), 0);
        store_close(st);
        CHECK_INT(storetest_sql_int(path, "SELECT count(*) FROM schema_migrations"), n);
        storetest_cleanup();
        return check_done("geo-schema");
}
