/* Fuzz harness: the text paths of the importers.  Each input is taken as
 * an address text (normalisation, UTF-8 check) and as a CSV file given to
 * the addresses, shelters and area-code importers, and as a GeoJSON file
 * to the roads importer (lines into the routing graph, then one route), on
 * one store opened once;
 * whatever the bytes, an import either succeeds or fails with a message
 * and leaves the store consistent. */
#include "geo.h"
#include "import.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static char dir[128], csv[200], gj[200];

static void cleanup(void)
{
        char p[256];
        store_close(st);
        static const char *const files[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "in.csv",
                                            "in.geojson"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
                unlink(p);
        }
        rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!st) {
                const char *t = getenv("TMPDIR");
                snprintf(dir, sizeof(dir), "%.80s/sonae-fuzz-geo-XXXXXX", t && t[0] ? t : "/tmp");
                if (!mkdtemp(dir))
                        abort();
                char db[200];
                snprintf(db, sizeof(db), "%s/fuzz.db", dir);
                snprintf(csv, sizeof(csv), "%s/in.csv", dir);
                snprintf(gj, sizeof(gj), "%s/in.geojson", dir);
                struct store_options o = {0};
                o.path = db;
                o.synchronous = "off";
                if (store_open(&o, &st) < 0)
                        abort();
                atexit(cleanup);
        }
        char text[256], key[1024];
        size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
        memcpy(text, data, n);
        text[n] = '\0';
        if (geo_utf8_valid(text, strlen(text)))
                geo_normalize(text, key, sizeof(key));
        struct geo_address_list l = {0};
        if (geo_address_search(st, text, 5, &l) == 0)
                geo_address_list_free(&l);

        FILE *f = fopen(csv, "wb");
        if (!f)
                return 0;
        fwrite(data, 1, size, f);
        fclose(f);
        static const char *const kinds[] = {"addresses", "shelters", "areas"};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                struct geo_import_report rep;
                int rc = geo_import(st, kinds[i], csv, NULL, &rep);
                /* A failure always says why. */
                if (rc < 0 && !rep.error[0])
                        abort();
        }
        f = fopen(gj, "wb");
        if (!f)
                return 0;
        fwrite(data, 1, size, f);
        fclose(f);
        struct geo_import_report rep;
        int rc = geo_import(st, "roads", gj, NULL, &rep);
        if (rc < 0 && !rep.error[0])
                abort();
        struct geo_route r;
        if (geo_route(st, 139.8, 38.7, 139.81, 38.71, NULL, &r) == 0)
                geo_route_free(&r);
        return 0;
}
