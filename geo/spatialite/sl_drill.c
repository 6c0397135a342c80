/* Removing a drill's data (`sonae drill stop`): every row marked exercise
 * (訓練 alerts, the exercise area status and kinds, exercise orders and
 * notices), the 訓練 telegrams of the ledger and the raw documents only
 * they used, and the drill's own stations (stations.exercise, 0010) with
 * their observations and images, in one transaction, with one event per
 * area, per order and per station so that the portal's caches and the
 * staff's screens drop them at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl.h"
#include "store_sources.h"

static int64_t changes(struct sl *b)
{
        return (int64_t)sqlite3_changes(b->db);
}

/* One event per row of a query returning (subject text, id or 0). */
static int events_for(struct sl *b, const char *sql, const char *type, const char *prefix)
{
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(b->db, sql, -1, &s, NULL) != SQLITE_OK)
                return -EIO;
        int rc = 0, step;
        while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
                char subject[64], data[128];
                rc = store_drill_removed_data(subject, sizeof(subject), data, sizeof(data), prefix,
                                              (const char *)sqlite3_column_text(s, 0));
                if (rc == 0)
                        rc = sl_event(b, type, subject, 0, true, true, data);
        }
        if (rc == 0 && step != SQLITE_DONE)
                rc = -EIO;
        sqlite3_finalize(s);
        return rc;
}

/* store_drill_stations_clear's operations on this backend. */
static int clear_count(void *ctx, const char *sql, int64_t *n)
{
        return sl_query_int(ctx, sql, n, "");
}

static int clear_texts(void *ctx, const char *sql, int (*fn)(void *fn_ctx, const char *text),
                       void *fn_ctx)
{
        int rc = 0;
        sqlite3_stmt *s = sl_query(ctx, sql, &rc, "");
        if (!s)
                return rc;
        while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
                rc = fn(fn_ctx, (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s); /* sl_query's statements are cached */
        return rc;
}

static int clear_run(void *ctx, const char *sql, int64_t *changed)
{
        int rc = sl_run(ctx, sql, "");
        if (rc == 0 && changed)
                *changed = changes(ctx);
        return rc;
}

static int clear_event(void *ctx, const char *type, const char *subject, const char *data)
{
        return sl_event(ctx, type, subject, 0, true, true, data);
}

static const struct store_drill_clear_ops clear_ops = {clear_count, clear_texts, clear_run,
                                                       clear_event};

int sl_exercise_clear(struct store *st, struct store_exercise_removed *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = events_for(b, "SELECT DISTINCT area_code FROM area_status WHERE exercise = 1",
                        "alert.changed", "areas/");
        if (rc == 0)
                rc = events_for(b,
                                "SELECT CAST(id AS TEXT) FROM orders WHERE exercise = 1 AND "
                                "lifted_at IS NULL",
                                "order.lifted", "orders/");
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM area_kinds_in_force WHERE exercise = 1", "");
        if (rc == 0) {
                rc = sl_run(b, "DELETE FROM area_status WHERE exercise = 1", "");
                out->areas = changes(b);
        }
        if (rc == 0)
                rc = sl_run(
                    b, "CREATE TEMP TABLE IF NOT EXISTS drill_docs (id INTEGER PRIMARY KEY)", "");
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM drill_docs", "");
        if (rc == 0)
                rc = sl_run(b,
                            "INSERT OR IGNORE INTO drill_docs SELECT document_id FROM alerts "
                            "WHERE exercise = 1 AND document_id IS NOT NULL UNION SELECT "
                            "document_id FROM jma_telegrams WHERE report_status = '訓練' AND "
                            "document_id IS NOT NULL",
                            "");
        if (rc == 0) {
                rc = sl_run(b, "DELETE FROM alerts WHERE exercise = 1", "");
                out->alerts = changes(b);
        }
        if (rc == 0) {
                rc = sl_run(b, "DELETE FROM jma_telegrams WHERE report_status = '訓練'", "");
                out->telegrams = changes(b);
        }
        if (rc == 0)
                rc = sl_run(b,
                            "DELETE FROM raw_documents WHERE id IN (SELECT id FROM drill_docs) "
                            "AND id NOT IN (SELECT document_id FROM alerts WHERE document_id IS "
                            "NOT NULL) AND id NOT IN (SELECT document_id FROM jma_telegrams "
                            "WHERE document_id IS NOT NULL)",
                            "");
        if (rc == 0) {
                rc = sl_run(b, "DELETE FROM orders WHERE exercise = 1", "");
                out->orders = changes(b);
        }
        if (rc == 0) {
                rc = sl_run(b, "DELETE FROM notices WHERE exercise = 1", "");
                out->notices = changes(b);
        }
        if (rc == 0)
                rc = sl_run(b, "DELETE FROM drill_docs", "");
        if (rc == 0)
                rc = store_drill_stations_clear(&clear_ops, b, out);
        if (rc == 0)
                rc = sl_run(
                    b, "UPDATE drills SET stopped_at = max(started_at, ?) WHERE stopped_at IS NULL",
                    "i", sl_now());
        rc = sl_tx_end(b, rc);
        /* Rolled back: the images are still the store's, their files stay. */
        if (rc < 0)
                store_exercise_removed_free(out);
        return rc;
}

int sl_view(struct sl *b, int view)
{
        return store_exercise_view(&b->base, view);
}

struct drill_ctx {
        struct sl *b;
        int64_t drill;
        bool is_public;
};

static int drill_area(void *ctx, const char *code, const char *subject, const char *data)
{
        struct drill_ctx *c = ctx;
        int rc =
            sl_run(c->b, "INSERT OR IGNORE INTO drill_areas (drill_id, area_code) VALUES (?, ?)",
                   "it", c->drill, code);
        return rc < 0 ? rc : sl_event(c->b, "alert.changed", subject, 0, c->is_public, true, data);
}

int sl_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                   int64_t *id)
{
        struct sl *b = SL(st);
        if (!scenario || !scenario[0] || !areas || !areas[0])
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        int64_t drill = 0;
        rc = sl_insert(b, &drill,
                       "INSERT INTO drills (scenario, started_at, public) VALUES (?, ?, ?)", "tib",
                       scenario, sl_now(), (int)is_public);
        /* The areas: a comma-separated list of codes, each kept once. */
        struct drill_ctx c = {b, drill, is_public};
        if (rc == 0)
                rc = store_drill_areas_each(areas, is_public, drill_area, &c);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = drill;
        return rc;
}

int sl_drill_public(struct store *st, bool *on)
{
        struct sl *b = SL(st);
        *on = b->base.all_exercise;
        if (*on)
                return 0;
        int64_t n = 0;
        int rc = sl_query_int(b, "SELECT EXISTS (SELECT 1 FROM public_drill_areas)", &n, "");
        *on = rc == 0 && n != 0;
        return rc;
}

int sl_drill_area_public(struct store *st, const char *area_code, int64_t district_id, bool *on)
{
        struct sl *b = SL(st);
        *on = b->base.all_exercise;
        if (*on)
                return 0;
        int64_t n = 0;
        int rc = sl_query_int(b,
                              "SELECT EXISTS (SELECT 1 FROM public_drill_areas WHERE area_code = "
                              "?1 OR area_code = (SELECT area_code FROM districts WHERE id = ?2))",
                              &n, "tI", area_code, district_id);
        *on = rc == 0 && n != 0;
        return rc;
}
