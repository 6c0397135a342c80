/* The store a benchmark runs on, chosen as the tests choose it: a
 * SpatiaLite file at path by default, or with SONAE_TEST_BACKEND=postgis
 * the PostgreSQL database of SONAE_PG_DSN (tests/lib/pgserver.py, driven
 * by tests/bench/bench_backends.py, which makes an empty database for each
 * run).  Header only: each benchmark is one program. */
#ifndef SONAE_BENCH_BACKEND_H
#define SONAE_BENCH_BACKEND_H

#include "level.h"
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool bench_on_postgis(void)
{
        const char *b = getenv("SONAE_TEST_BACKEND");
        return b && strcmp(b, "postgis") == 0;
}

/* Fills o for the chosen backend; path is the SpatiaLite file (borrowed).
 * Returns the backend's name, or NULL (with a message) when PostGIS is
 * asked for without a server. */
static inline const char *bench_store_options(struct store_options *o, const char *path)
{
        memset(o, 0, sizeof(*o));
        if (!bench_on_postgis()) {
                o->path = path;
                return "spatialite";
        }
        o->backend = "postgis";
        o->dsn = getenv("SONAE_PG_DSN");
        if (!o->dsn || !o->dsn[0]) {
                fprintf(stderr, "SONAE_TEST_BACKEND=postgis needs SONAE_PG_DSN "
                                "(run it under tests/bench/bench_backends.py)\n");
                return NULL;
        }
        return "postgis";
}

/* A benchmark's river gauge: external id ext (borrowed, as are the
 * strings), water level, caution at 2 m and danger at 4 m, reporting
 * every 10 minutes. */
static inline void bench_gauge(struct store_station *s, const char *source, const char *ext,
                               double lon, double lat)
{
        memset(s, 0, sizeof(*s));
        s->kind = "gauge";
        s->source = source;
        s->external_id = ext;
        s->name = "ベンチ";
        s->lon = lon;
        s->lat = lat;
        level_thresholds_clear(&s->thr);
        s->thr.caution = 2.0;
        s->thr.danger = 4.0;
        s->expected_interval_s = 600;
}

#endif
