/* The PostGIS backend: JMA alerts, what is in force per area and the
 * areas' status (store_sources.h); the rules are those of sl_sources.c,
 * shared through store_place_rules.c. */
#include "pg.h"

#include "buf.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Alerts ------------------------------------------------------------ */

int pg_alert_add(struct store *st, const struct store_alert *a, int64_t *id)
{
        struct pg *b = PG(st);
        if (!a || !a->report_status || (a->level && !level_valid(a->level)))
                return -EINVAL;
        bool exercise = strcmp(a->report_status, "訓練") == 0;
        int64_t aid = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO alerts (document_id, office, title, info_type, report_status, "
                  "exercise, event_id, serial, report_at, area_code, area_name, kind_code, "
                  "kind_name, status, level, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6, "
                  "$7, nullif($8::bigint, -1), $9, $10, $11, $12, $13, $14, $15, $16, $17) ON "
                  "CONFLICT (document_id, area_code, kind_code) DO NOTHING",
                  "IttttbtiitttttLII", a->document_id, a->office, a->title, a->info_type,
                  a->report_status, (int)exercise, a->event_id, (int64_t)a->serial, a->report_at,
                  a->area_code, a->area_name, a->kind_code, a->kind_name, a->status, a->level,
                  a->valid_from, a->valid_to);
        /* Without a document the unique key does not hold (NULLs differ):
         * the newest row of the area and kind is the one, as in SQLite. */
        if (rc == 0)
                rc = pg_query_int(b, &aid,
                                  "SELECT id FROM alerts WHERE document_id IS NOT DISTINCT FROM "
                                  "$1::bigint AND area_code = $2 AND kind_code = $3 ORDER BY id "
                                  "DESC LIMIT 1",
                                  "Itt", a->document_id, a->area_code, a->kind_code);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = aid;
        return rc;
}

static int alert_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_alert *a = elem;
        a->id = pg_col_i64(r, i, 0);
        a->document_id = pg_col_i64(r, i, 1);
        a->office = pg_col_strdup(r, i, 2);
        a->title = pg_col_strdup(r, i, 3);
        a->info_type = pg_col_strdup(r, i, 4);
        a->report_status = pg_col_strdup(r, i, 5);
        a->event_id = pg_col_strdup(r, i, 6);
        a->serial = pg_col_null(r, i, 7) ? -1 : (int)pg_col_i64(r, i, 7);
        a->report_at = pg_col_i64(r, i, 8);
        a->area_code = pg_col_strdup(r, i, 9);
        a->area_name = pg_col_strdup(r, i, 10);
        a->kind_code = pg_col_strdup(r, i, 11);
        a->kind_name = pg_col_strdup(r, i, 12);
        a->status = pg_col_strdup(r, i, 13);
        a->level = (int)pg_col_i64(r, i, 14);
        a->valid_from = pg_col_i64(r, i, 15);
        a->valid_to = pg_col_i64(r, i, 16);
        return a->office && a->area_code && a->kind_code && a->status ? 0 : -ENOMEM;
}

int pg_alerts_list(struct store *st, const char *area_code, int64_t from, int64_t to, size_t limit,
                   struct store_alert_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(
            PG(st), &r,
            "SELECT id, document_id, office, title, info_type, report_status, event_id, serial, "
            "report_at, area_code, area_name, kind_code, kind_name, status, level, valid_from, "
            "valid_to FROM alerts WHERE ($1::text IS NULL OR area_code = $1) AND report_at >= $2 "
            "AND report_at < $3 ORDER BY report_at DESC, id DESC LIMIT $4",
            "tiii", area_code, from, to, (int64_t)(limit ? limit : 1000));
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), alert_fill, NULL);
        if (rc < 0)
                store_alert_list_free(out);
        return rc;
}

/* ---- What is in force per area ----------------------------------------- */

static int kind_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_area_kind *k = elem;
        k->code = pg_col_strdup(r, i, 0);
        k->name = pg_col_strdup(r, i, 1);
        k->status = pg_col_strdup(r, i, 2);
        k->level = (int)pg_col_i64(r, i, 3);
        k->issued_at = pg_col_i64(r, i, 4);
        k->alert_id = pg_col_i64(r, i, 5);
        return k->code && k->name && k->status ? 0 : -ENOMEM;
}

/* The kinds in force of an area, by code in byte order (SQLite's). */
static int kinds_get(struct pg *b, const char *area_code, bool exercise,
                     struct store_area_kind **out, size_t *n)
{
        PGresult *r = NULL;
        *out = NULL;
        *n = 0;
        int rc = pg_q(b, &r,
                      "SELECT kind_code, kind_name, status, level, issued_at, alert_id FROM "
                      "area_kinds_in_force WHERE area_code = $1 AND exercise = $2 ORDER BY "
                      "kind_code COLLATE \"C\"",
                      "tb", area_code, (int)exercise);
        if (rc == 0)
                rc = pg_rows(r, (void **)out, n, sizeof(**out), kind_fill, NULL);
        if (rc < 0) {
                store_area_kinds_free(*out, *n);
                *out = NULL;
                *n = 0;
        }
        return rc;
}

/* Replaces the kinds of an area in one statement: the sorted set as a
 * JSON array. */
static int kinds_put(struct pg *b, const char *area_code, bool exercise,
                     const struct store_area_kind *k, size_t n)
{
        int rc =
            pg_q(b, NULL, "DELETE FROM area_kinds_in_force WHERE area_code = $1 AND exercise = $2",
                 "tb", area_code, (int)exercise);
        if (rc < 0 || n == 0)
                return rc;
        struct buf arr = BUF_INIT(1 << 20);
        rc = buf_putc(&arr, '[');
        for (size_t i = 0; i < n && rc == 0; i++) {
                char lv[8] = "null", al[24] = "null";
                if (k[i].level)
                        snprintf(lv, sizeof(lv), "%d", k[i].level);
                if (k[i].alert_id)
                        snprintf(al, sizeof(al), "%lld", (long long)k[i].alert_id);
                rc = buf_printf(&arr, "%s{\"l\":%s,\"t\":%lld,\"a\":%s,\"c\":", i ? "," : "", lv,
                                (long long)k[i].issued_at, al);
                if (rc == 0)
                        rc = json_escape(&arr, k[i].code, strlen(k[i].code));
                if (rc == 0)
                        rc = buf_puts(&arr, ",\"n\":");
                if (rc == 0)
                        rc = json_escape(&arr, k[i].name, strlen(k[i].name));
                if (rc == 0)
                        rc = buf_puts(&arr, ",\"s\":");
                if (rc == 0)
                        rc = json_escape(&arr, k[i].status, strlen(k[i].status));
                if (rc == 0)
                        rc = buf_putc(&arr, '}');
        }
        if (rc == 0)
                rc = buf_putc(&arr, ']');
        if (rc < 0)
                rc = -ENOMEM;
        if (rc == 0)
                rc = pg_q(b, NULL,
                          "INSERT INTO area_kinds_in_force (area_code, exercise, kind_code, "
                          "kind_name, status, level, issued_at, alert_id) SELECT $1, $2, x.c, x.n, "
                          "x.s, x.l, x.t, x.a FROM json_to_recordset($3::json) AS x(c text, n "
                          "text, s text, l bigint, t bigint, a bigint)",
                          "tbt", area_code, (int)exercise, arr.data);
        buf_free(&arr);
        return rc;
}

int pg_area_set_in_force(struct store *st, const char *area_code, const char *area_name,
                         bool exercise, const struct store_area_kind *kinds, size_t n)
{
        struct pg *b = PG(st);
        if (!area_code || !area_name)
                return -EINVAL;
        int new_level = LEVEL_NONE;
        struct store_area_kind *sorted = NULL, *old = NULL;
        size_t n_old = 0;
        struct buf data = BUF_INIT(1 << 20);
        int64_t now = pg_now(), old_level = 0;
        int rc = store_area_kinds_sorted(kinds, n, &sorted, &new_level);
        if (rc < 0)
                return rc;
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out_free;
        /* The area's row is locked first: two collectors writing the same
         * area in turn compare against what the other committed. */
        rc = pg_q(b, NULL,
                  "SELECT pg_advisory_xact_lock(hashtext('area_status:' || $1 || ':' || $2))", "tb",
                  area_code, (int)exercise);
        if (rc == 0)
                rc = kinds_get(b, area_code, exercise, &old, &n_old);
        if (rc < 0)
                goto out;
        int r = pg_query_int(b, &old_level,
                             "SELECT coalesce(level, 0) FROM area_status WHERE area_code = $1 AND "
                             "exercise = $2",
                             "tb", area_code, (int)exercise);
        if (r < 0 && r != -ENOENT) {
                rc = r;
                goto out;
        }
        bool changed = !store_area_kinds_same(old, n_old, sorted, n);
        char subject[32];
        snprintf(subject, sizeof(subject), "areas/%.7s", area_code);
        if (changed) {
                rc = kinds_put(b, area_code, exercise, sorted, n);
                if (rc == 0)
                        rc = store_alert_changed_data(&data, area_code, area_name, exercise, sorted,
                                                      n);
                if (rc == 0)
                        rc = pg_event(b, "alert.changed", subject, new_level, true, exercise,
                                      data.data);
                if (rc < 0)
                        goto out;
        }
        rc = pg_q(b, NULL,
                  "INSERT INTO area_status (area_code, exercise, area_name, level, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (area_code, exercise) DO UPDATE SET "
                  "area_name = EXCLUDED.area_name, level = EXCLUDED.level, updated_at = CASE WHEN "
                  "$6 = 1 THEN EXCLUDED.updated_at ELSE area_status.updated_at END",
                  "tbtLib", area_code, (int)exercise, area_name, new_level, now, (int)changed);
        if (rc == 0 && old_level != new_level) {
                char ev[160];
                store_area_level_data(ev, area_code, (int)old_level, new_level, exercise);
                rc = pg_event(b, "area.level", subject, new_level, true, exercise, ev);
        }
out:
        rc = pg_tx_end(b, rc);
out_free:
        store_area_kinds_free(old, n_old);
        free(sorted);
        buf_free(&data);
        return rc;
}

static int order_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_area_order *o = elem;
        o->id = pg_col_i64(r, i, 0);
        o->level = (int)pg_col_i64(r, i, 1);
        o->issued_at = pg_col_i64(r, i, 2);
        o->district_id = pg_col_i64(r, i, 3); /* NULL reads as 0 */
        const char *n = level_order_name_ja(o->level);
        o->name_ja = n ? n : "";
        return 0;
}

static int area_status_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct pg *b = ctx;
        struct store_area_status *a = elem;
        a->area_code = pg_col_strdup(r, i, 0);
        a->exercise = pg_col_i64(r, i, 1) != 0;
        a->area_name = pg_col_strdup(r, i, 2);
        a->level = (int)pg_col_i64(r, i, 3);
        a->updated_at = pg_col_i64(r, i, 4);
        if (!a->area_code || !a->area_name)
                return -ENOMEM;
        int rc = kinds_get(b, a->area_code, a->exercise, &a->kinds, &a->n_kinds);
        if (rc < 0)
                return rc;
        PGresult *o = NULL;
        rc = pg_q(b, &o,
                  "SELECT id, level, issued_at, district_id FROM orders WHERE lifted_at IS NULL "
                  "AND exercise = $1 AND (area_code = $2 OR district_id IN (SELECT id FROM "
                  "districts WHERE area_code = $2)) ORDER BY level DESC, issued_at DESC",
                  "bt", (int)a->exercise, a->area_code);
        if (rc == 0)
                rc = pg_rows(o, (void **)&a->orders, &a->n_orders, sizeof(*a->orders), order_fill,
                             NULL);
        if (rc < 0)
                return rc;
        for (size_t k = 0; k < a->n_orders; k++)
                if (a->orders[k].issued_at > a->updated_at)
                        a->updated_at = a->orders[k].issued_at;
        if (a->n_orders)
                a->order = a->orders[0];
        return 0;
}

int pg_area_status_list(struct store *st, int view, struct store_area_status_list *out)
{
        struct pg *b = PG(st);
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        view = store_exercise_view(st, view);
        /* Sorted as SQLite sorts the UNION: area code in byte order, then
         * real before drill. */
        int rc = pg_q(
            b, &r,
            "SELECT * FROM (SELECT area_code, exercise, area_name, level, updated_at FROM "
            "area_status WHERE "
            "exercise = 0 OR $1 = 1 OR ($1 = 2 AND area_code IN (SELECT area_code FROM "
            "public_drill_areas)) UNION SELECT o.area_code, o.exercise, coalesce(a.name, "
            "o.area_code), NULL, o.issued_at FROM orders o LEFT JOIN areas a ON a.code = "
            "o.area_code WHERE o.lifted_at IS NULL AND o.area_code IS NOT NULL AND (o.exercise = 0 "
            "OR $1 = 1 OR ($1 = 2 AND o.area_code IN (SELECT area_code FROM public_drill_areas))) "
            "AND NOT EXISTS (SELECT 1 FROM area_status x WHERE x.area_code = o.area_code AND "
            "x.exercise = o.exercise)) u ORDER BY area_code COLLATE \"C\", exercise",
            "i", (int64_t)view);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), area_status_fill, b);
        if (rc < 0)
                store_area_status_list_free(out);
        return rc;
}
