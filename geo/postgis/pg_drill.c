/* The PostGIS backend: drills.  Starting one (its areas, an alert.changed
 * each) and removing a drill's data (`sonae drill stop`): every row marked
 * exercise, the 訓練 telegrams of the ledger and the raw documents only
 * they used, and the drill's own stations (stations.exercise, 0010) with
 * what they hold, in one transaction, with one event per area, per order
 * and per station.  The rules are those of geo/spatialite/sl_drill.c. */
#include "pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One event per row of a query returning one text key. */
static int events_for(struct pg *b, const char *sql, const char *type, const char *prefix)
{
        PGresult *r = NULL;
        int rc = pg_q(b, &r, sql, "");
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
                char subject[64], data[128];
                rc = store_drill_removed_data(subject, sizeof(subject), data, sizeof(data), prefix,
                                              PQgetvalue(r, i, 0));
                if (rc == 0)
                        rc = pg_event(b, type, subject, LEVEL_NONE, true, true, data);
        }
        PQclear(r);
        return rc;
}

/* A DELETE (or UPDATE) with at most one text parameter; *n (may be NULL)
 * gets the rows it touched. */
static int run_counted(struct pg *b, int64_t *n, const char *sql, const char *arg)
{
        PGresult *r = NULL;
        int rc = arg ? pg_q(b, &r, sql, "t", arg) : pg_q(b, &r, sql, "");
        if (rc == 0 && n)
                *n = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        return rc;
}

/* store_drill_stations_clear's operations on this backend. */
static int clear_count(void *ctx, const char *sql, int64_t *n)
{
        return pg_query_int(ctx, n, sql, "");
}

static int clear_texts(void *ctx, const char *sql, int (*fn)(void *fn_ctx, const char *text),
                       void *fn_ctx)
{
        PGresult *r = NULL;
        int rc = pg_q(ctx, &r, sql, "");
        for (int i = 0; rc == 0 && i < PQntuples(r); i++)
                rc = fn(fn_ctx, PQgetvalue(r, i, 0));
        PQclear(r);
        return rc;
}

static int clear_run(void *ctx, const char *sql, int64_t *changed)
{
        return run_counted(ctx, changed, sql, NULL);
}

static int clear_event(void *ctx, const char *type, const char *subject, const char *data)
{
        return pg_event(ctx, type, subject, LEVEL_NONE, true, true, data);
}

static const struct store_drill_clear_ops clear_ops = {clear_count, clear_texts, clear_run,
                                                       clear_event};

int pg_exercise_clear(struct store *st, struct store_exercise_removed *out)
{
        struct pg *b = PG(st);
        memset(out, 0, sizeof(*out));
        PGresult *r = NULL;
        char *docs = NULL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = events_for(b,
                        "SELECT DISTINCT area_code FROM area_status WHERE exercise = 1 ORDER BY "
                        "area_code",
                        "alert.changed", "areas/");
        if (rc == 0)
                rc = events_for(b,
                                "SELECT id::text FROM orders WHERE exercise = 1 AND lifted_at IS "
                                "NULL ORDER BY id",
                                "order.lifted", "orders/");
        if (rc == 0)
                rc = run_counted(b, NULL, "DELETE FROM area_kinds_in_force WHERE exercise = 1",
                                 NULL);
        if (rc == 0)
                rc =
                    run_counted(b, &out->areas, "DELETE FROM area_status WHERE exercise = 1", NULL);
        /* The documents of the drill's alerts and telegrams, read before
         * those rows go (one statement sees one snapshot, so the removal
         * of the documents comes after, on their ids). */
        if (rc == 0)
                rc = pg_q(b, &r,
                          "SELECT coalesce(array_agg(d), '{}')::text FROM (SELECT document_id AS "
                          "d FROM alerts WHERE exercise = 1 AND document_id IS NOT NULL UNION "
                          "SELECT document_id FROM jma_telegrams WHERE report_status = '訓練' AND "
                          "document_id IS NOT NULL) x",
                          "");
        if (rc == 0 && !(docs = pg_col_strdup(r, 0, 0)))
                rc = -ENOMEM;
        PQclear(r);
        if (rc == 0)
                rc = run_counted(b, &out->alerts, "DELETE FROM alerts WHERE exercise = 1", NULL);
        if (rc == 0)
                rc = run_counted(b, &out->telegrams,
                                 "DELETE FROM jma_telegrams WHERE report_status = '訓練'", NULL);
        if (rc == 0)
                rc = run_counted(b, NULL,
                                 "DELETE FROM raw_documents d WHERE d.id = ANY($1::bigint[]) AND "
                                 "NOT EXISTS (SELECT 1 FROM alerts a WHERE a.document_id = d.id) "
                                 "AND NOT EXISTS (SELECT 1 FROM jma_telegrams t WHERE "
                                 "t.document_id = d.id)",
                                 docs);
        if (rc == 0)
                rc = run_counted(b, &out->orders, "DELETE FROM orders WHERE exercise = 1", NULL);
        if (rc == 0)
                rc = run_counted(b, &out->notices, "DELETE FROM notices WHERE exercise = 1", NULL);
        if (rc == 0)
                rc = store_drill_stations_clear(&clear_ops, b, out);
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "UPDATE drills SET stopped_at = greatest(started_at, $1) WHERE "
                          "stopped_at IS NULL",
                          "i", pg_now());
        free(docs);
        rc = pg_tx_end(b, rc);
        /* Rolled back: the images are still the store's, their files stay. */
        if (rc < 0) {
                store_exercise_removed_free(out);
                memset(out, 0, sizeof(*out));
        }
        return rc;
}

struct drill_ctx {
        struct pg *b;
        int64_t drill;
        bool is_public;
};

static int drill_area(void *ctx, const char *code, const char *subject, const char *data)
{
        struct drill_ctx *c = ctx;
        int rc = pg_q(c->b, NULL,
                      "INSERT INTO drill_areas (drill_id, area_code) VALUES ($1, $2) ON CONFLICT "
                      "DO NOTHING",
                      "it", c->drill, code);
        return rc < 0
                   ? rc
                   : pg_event(c->b, "alert.changed", subject, LEVEL_NONE, c->is_public, true, data);
}

int pg_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                   int64_t *id)
{
        struct pg *b = PG(st);
        if (!scenario || !scenario[0] || !areas || !areas[0])
                return -EINVAL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        struct drill_ctx c = {b, 0, is_public};
        rc = pg_query_int(b, &c.drill,
                          "INSERT INTO drills (scenario, started_at, public) VALUES ($1, $2, $3) "
                          "RETURNING id",
                          "tib", scenario, pg_now(), (int)is_public);
        /* The areas: a comma-separated list of codes, each kept once. */
        if (rc == 0)
                rc = store_drill_areas_each(areas, is_public, drill_area, &c);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = c.drill;
        return rc;
}

int pg_drill_public(struct store *st, bool *on)
{
        struct pg *b = PG(st);
        *on = b->base.all_exercise;
        if (*on)
                return 0;
        int64_t n = 0;
        int rc = pg_query_int(b, &n, "SELECT EXISTS (SELECT 1 FROM public_drill_areas)::int", "");
        *on = rc == 0 && n != 0;
        return rc;
}

int pg_drill_area_public(struct store *st, const char *area_code, int64_t district_id, bool *on)
{
        struct pg *b = PG(st);
        *on = b->base.all_exercise;
        if (*on)
                return 0;
        int64_t n = 0;
        int rc = pg_query_int(b, &n,
                              "SELECT EXISTS (SELECT 1 FROM public_drill_areas WHERE area_code = "
                              "$1 OR area_code = (SELECT area_code FROM districts WHERE id = "
                              "$2))::int",
                              "tI", area_code, district_id);
        *on = rc == 0 && n != 0;
        return rc;
}
