/* The PostGIS backend: users and staff sessions, the audit log, field
 * reports, orders, notices, timelines, notification rules and queue, and
 * watch points.  The rules, events and orderings are those of
 * geo/spatialite/sl_city.c and sl_places.c; the events' data come from
 * geo/store_city_rules.c, so both backends write the same. */
#include "pg.h"

#include "buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows an UPDATE or DELETE touched. */
static int64_t changed(const PGresult *r)
{
        return strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* A bigint[] literal ({1,2,3}) of n ids, for unnest($n::bigint[]). */
static int ids_literal(struct buf *a, const int64_t *v, size_t n)
{
        int rc = buf_putc(a, '{');
        for (size_t i = 0; i < n && rc == 0; i++)
                rc = buf_printf(a, "%s%lld", i ? "," : "", (long long)v[i]);
        if (rc == 0)
                rc = buf_putc(a, '}');
        return rc < 0 ? -ENOMEM : 0;
}

/* Runs sql with $1 the parent's id and $2 the ids as bigint[] (a link
 * table's rows), inside the caller's transaction. */
static int link_ids(struct pg *b, const char *sql, int64_t parent, const int64_t *v, size_t n)
{
        if (n == 0)
                return 0;
        struct buf a = BUF_INIT(64 * 1024 * 1024);
        int rc = ids_literal(&a, v, n);
        if (rc == 0)
                rc = pg_q(b, NULL, sql, "it", parent, a.data);
        buf_free(&a);
        return rc;
}

/* A column of string_agg(id::text, ',') as an array (NULL: none). */
static int ids_parse(const PGresult *r, int row, int col, int64_t **v, size_t *n)
{
        *v = NULL;
        *n = 0;
        if (PQgetisnull(r, row, col))
                return 0;
        const char *s = PQgetvalue(r, row, col);
        size_t cap = 1;
        for (const char *p = s; *p; p++)
                cap += *p == ',';
        if (!(*v = calloc(cap, sizeof(**v))))
                return -ENOMEM;
        for (char *end = NULL; *s && *n < cap; s = *end ? end + 1 : end)
                (*v)[(*n)++] = strtoll(s, &end, 10);
        return 0;
}

/* DELETE with one time bound as $1 in its own (nested) transaction;
 * *removed (may be NULL) gets the rows it removed. */
static int delete_counted(struct pg *b, const char *sql, int64_t t, size_t *removed)
{
        PGresult *r = NULL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, &r, sql, "i", t);
        size_t n = rc == 0 ? (size_t)changed(r) : 0;
        PQclear(r);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && removed)
                *removed = n;
        return rc;
}

/* One write with RETURNING in its own (nested) transaction; *id (may be
 * NULL) gets the first column of the row it returned.  With ev, the
 * write's event comes from that row in the same transaction: ev takes r
 * (and answers -ENOENT when the write touched no row). */
typedef int (*row_event_fn)(struct pg *b, const char *type, PGresult *r);
static int write_event(struct pg *b, row_event_fn ev, const char *type, int64_t *id,
                       const char *sql, const char *fmt, ...)
{
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        PGresult *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        rc = pg_qv(b, &r, sql, fmt, ap);
        va_end(ap);
        int64_t v = rc == 0 && PQntuples(r) == 1 ? pg_col_i64(r, 0, 0) : 0;
        if (rc == 0 && ev)
                rc = ev(b, type, r);
        else
                PQclear(r);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = v;
        return rc;
}

/* ---- Users ------------------------------------------------------------- */

int pg_user_add(struct store *st, const struct store_user *u, int64_t *id)
{
        struct pg *b = PG(st);
        if (!u || (u->n_shelters && !u->shelter_ids))
                return -EINVAL;
        int64_t now = pg_now(), uid = 0;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_query_int(
            b, &uid,
            "INSERT INTO users (name, display_name, role, password_hash, disabled, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            "ttttbi", u->name, u->display_name, u->role, u->password_hash, (int)u->disabled, now);
        if (rc == 0)
                rc = link_ids(b,
                              "INSERT INTO user_shelters (user_id, shelter_id) SELECT $1, s FROM "
                              "unnest($2::bigint[]) AS s",
                              uid, u->shelter_ids, u->n_shelters);
        rc = pg_tx_end(b, rc);
        if (rc == 0 && id)
                *id = uid;
        return rc;
}

/* A change of a user's row; a new password or a disabled account also
 * ends every session of the user, on every portal instance. */
static int user_change(struct pg *b, int64_t id, const char *password_hash, int disabled)
{
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        if (password_hash)
                rc = pg_change(b,
                               "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                               "tii", password_hash, pg_now(), id);
        else
                rc = pg_change(b, "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3",
                               "bii", disabled, pg_now(), id);
        if (rc == 0 && (password_hash || disabled))
                rc = pg_q(b, NULL, "DELETE FROM sessions WHERE user_id = $1", "i", id);
        return pg_tx_end(b, rc);
}

int pg_user_set_password(struct store *st, int64_t id, const char *password_hash)
{
        if (!password_hash)
                return -EINVAL;
        return user_change(PG(st), id, password_hash, 0);
}

int pg_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
        return user_change(PG(st), id, NULL, disabled);
}

static int user_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_user *u = elem;
        u->id = pg_col_i64(r, i, 0);
        u->name = pg_col_strdup(r, i, 1);
        u->display_name = pg_col_strdup(r, i, 2);
        u->role = pg_col_strdup(r, i, 3);
        u->password_hash = pg_col_strdup(r, i, 4);
        u->disabled = pg_col_i64(r, i, 5) != 0;
        if (!u->name || !u->role || !u->password_hash)
                return -ENOMEM;
        return ids_parse(r, i, 6, &u->shelter_ids, &u->n_shelters);
}

static int users_query(struct pg *b, const char *name, struct store_user_list *out)
{
        /* Names in byte order, as SQLite sorts them. */
        int rc = pg_list(b, (void **)&out->v, &out->n, sizeof(*out->v), user_fill, NULL,
                         "SELECT id, name, display_name, role, password_hash, disabled, (SELECT "
                         "string_agg(shelter_id::text, ',' ORDER BY shelter_id) FROM user_shelters "
                         "WHERE user_id = users.id) FROM users WHERE $1::text IS NULL OR name = $1 "
                         "ORDER BY name COLLATE \"C\"",
                         "t", name);
        if (rc == 0 && name && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_user_list_free(out);
        return rc;
}

int pg_user_get(struct store *st, const char *name, struct store_user_list *out)
{
        return users_query(PG(st), name, out);
}

int pg_users_list(struct store *st, struct store_user_list *out)
{
        return users_query(PG(st), NULL, out);
}

/* ---- Staff sessions ---------------------------------------------------- */

int pg_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                   const char *csrf, int64_t created_at, int64_t expires_at)
{
        if (!token_hash || !csrf)
                return -EINVAL;
        return write_event(PG(st), NULL, NULL, NULL,
                           "INSERT INTO sessions (token_hash, user_id, csrf, created_at, "
                           "last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
                           "Bitii", token_hash, (size_t)32, user_id, csrf, created_at, expires_at);
}

static int session_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_session *x = elem;
        x->id = pg_col_i64(r, i, 0);
        x->user_id = pg_col_i64(r, i, 1);
        x->user_name = pg_col_strdup(r, i, 2);
        x->csrf = pg_col_strdup(r, i, 3);
        x->created_at = pg_col_i64(r, i, 4);
        x->last_seen_at = pg_col_i64(r, i, 5);
        x->expires_at = pg_col_i64(r, i, 6);
        return x->user_name && x->csrf ? 0 : -ENOMEM;
}

int pg_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                   struct store_session_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!token_hash)
                return -EINVAL;
        int rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), session_fill, NULL,
                         "SELECT s.id, s.user_id, u.name, s.csrf, s.created_at, s.last_seen_at, "
                         "s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
                         "WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
                         "Bi", token_hash, (size_t)32, now);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_session_list_free(out);
        return rc;
}

int pg_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now)
{
        if (!token_hash)
                return -EINVAL;
        return pg_change(PG(st),
                         "UPDATE sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE "
                         "token_hash = $2",
                         "iB", now, token_hash, (size_t)32);
}

int pg_session_delete(struct store *st, const unsigned char token_hash[32])
{
        if (!token_hash)
                return -EINVAL;
        return pg_change(PG(st), "DELETE FROM sessions WHERE token_hash = $1", "B", token_hash,
                         (size_t)32);
}

int pg_sessions_purge(struct store *st, int64_t now, size_t *removed)
{
        return delete_counted(PG(st), "DELETE FROM sessions WHERE expires_at <= $1", now, removed);
}

/* ---- Audit log --------------------------------------------------------- */

int pg_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                 const char *object, const char *before_json, const char *after_json)
{
        /* The JSON type refuses text that is not JSON (-EINVAL). */
        return write_event(
            PG(st), NULL, NULL, NULL,
            "INSERT INTO audit_log (at, user_id, actor, action, object, before_json, "
            "after_json) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            "iIttttt", pg_now(), user_id, actor, action, object, before_json, after_json);
}

#define AUDIT_COLUMNS "id, at, user_id, actor, action, object, before_json, after_json"

static int audit_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_audit *a = elem;
        a->id = pg_col_i64(r, i, 0);
        a->at = pg_col_i64(r, i, 1);
        a->user_id = pg_col_i64(r, i, 2);
        a->actor = pg_col_strdup(r, i, 3);
        a->action = pg_col_strdup(r, i, 4);
        a->object = pg_col_strdup(r, i, 5);
        a->before_json = pg_col_strdup(r, i, 6);
        a->after_json = pg_col_strdup(r, i, 7);
        return a->actor && a->action && a->object ? 0 : -ENOMEM;
}

int pg_audit_list(struct store *st, int64_t after_id, size_t limit, struct store_audit_list *out)
{
        int rc =
            pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), audit_fill, NULL,
                    "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
                    "ii", after_id, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_audit_list_free(out);
        return rc;
}

int pg_audit_query(struct store *st, const struct store_audit_filter *f,
                   struct store_audit_list *out)
{
        memset(out, 0, sizeof(*out));
        if (!f)
                return -EINVAL;
        const char *exact = NULL;
        char lo[300], hi[300];
        int rc = store_audit_object_range(f->object, &exact, lo, hi);
        if (rc < 0)
                return rc;
        /* The kind's range in byte order, on the index of 0008. */
        rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), audit_fill, NULL,
                     "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE ($1::bigint = 0 OR at >= $1) "
                     "AND ($2::bigint = 0 OR at < $2) AND ($3::text IS NULL OR actor = $3) "
                     "AND ($4::text IS NULL OR object = $4) AND ($5::text IS NULL OR object = "
                     "$7::text OR (object COLLATE \"C\" >= $5 AND object COLLATE \"C\" < "
                     "$6::text)) AND ($8::bigint = 0 OR id < $8) ORDER BY id DESC LIMIT $9",
                     "iitttttii", f->from, f->to, f->actor, exact, lo[0] ? lo : NULL,
                     hi[0] ? hi : NULL, lo[0] ? f->object : NULL, f->before_id,
                     (int64_t)(f->limit ? f->limit : 100));
        if (rc < 0)
                store_audit_list_free(out);
        return rc;
}

/* ---- Field reports ----------------------------------------------------- */

/* The type a notice's withdrawal goes by inside this file (its event is a
 * notice.published). */
#define NOTICE_WITHDRAWN "notice.withdrawn"

#define REPORT_EVENT_COLUMNS "id, status, public, exercise, category, severity"

/* The event of a write from the row it returned, (id, text, public,
 * exercise, …): subject PREFIX/id, public and exercise as the row is,
 * data from data(); takes r, -ENOENT when there is no row. */
static int row_event(struct pg *b, const char *type, const char *prefix, PGresult *r,
                     int (*data)(char *buf, size_t len, const PGresult *r, const char *type))
{
        if (PQntuples(r) != 1) {
                PQclear(r);
                return -ENOENT;
        }
        char subject[40], buf[256];
        snprintf(subject, sizeof(subject), "%s%s", prefix, PQgetvalue(r, 0, 0));
        bool pub = pg_col_i64(r, 0, 2) != 0, ex = pg_col_i64(r, 0, 3) != 0;
        int rc = data(buf, sizeof(buf), r, type);
        PQclear(r);
        if (strcmp(type, NOTICE_WITHDRAWN) == 0)
                type = "notice.published";
        return rc < 0 ? rc : pg_event(b, type, subject, LEVEL_NONE, pub, ex, buf);
}

/* A report's event data from a row of REPORT_EVENT_COLUMNS. */
static int report_data(char *buf, size_t len, const PGresult *r, const char *type)
{
        return store_report_event_data(buf, len, pg_col_i64(r, 0, 0), PQgetvalue(r, 0, 1),
                                       PQgetvalue(r, 0, 4), (int)pg_col_i64(r, 0, 5));
}

static int report_event(struct pg *b, const char *type, PGresult *r)
{
        return row_event(b, type, "reports/", r, report_data);
}

int pg_report_create(struct store *st, const struct store_report *rep, int64_t *id)
{
        if (!rep || !isfinite(rep->lon) || !isfinite(rep->lat) ||
            !store_event_text_valid(rep->category))
                return -EINVAL;
        return write_event(
            PG(st), report_event, "report.created", id,
            "INSERT INTO reports (created_at, updated_at, lon, lat, geom, category, severity, "
            "text, status, public, exercise, user_id) VALUES ($1, $1, $2, $3, "
            "ST_SetSRID(ST_MakePoint($2, $3), 6668), $4, $5, $6, 'new', $7, $8, $9) "
            "RETURNING " REPORT_EVENT_COLUMNS,
            "iddtitbbI", rep->created_at ? rep->created_at : pg_now(), rep->lon, rep->lat,
            rep->category, (int64_t)rep->severity, rep->text, (int)rep->is_public,
            (int)rep->exercise, rep->user_id);
}

int pg_report_add_photo(struct store *st, int64_t report_id, const char *path,
                        const char *content_type, int64_t bytes)
{
        /* The trigger refuses a fourth photo as a check violation. */
        return write_event(PG(st), NULL, NULL, NULL,
                           "INSERT INTO report_photos (report_id, path, content_type, bytes, "
                           "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                           "ittii", report_id, path, content_type, bytes, pg_now());
}

int pg_report_update(struct store *st, int64_t id, const char *status, bool is_public)
{
        return write_event(PG(st), report_event, "report.updated", NULL,
                           "UPDATE reports SET status = $1, public = $2, updated_at = $3 WHERE "
                           "id = $4 RETURNING " REPORT_EVENT_COLUMNS,
                           "tbii", status, (int)is_public, pg_now(), id);
}

/* A report's photo paths: at most three (the trigger), one column each. */
#define REPORT_PHOTO(n)                                                                            \
        "(SELECT path FROM report_photos p WHERE p.report_id = reports.id ORDER BY p.id "          \
        "OFFSET " #n " LIMIT 1)"

#define REPORT_COLUMNS                                                                             \
        "id, created_at, updated_at, lon, lat, category, severity, text, status, public, "         \
        "exercise, user_id, " REPORT_PHOTO(0) ", " REPORT_PHOTO(1) ", " REPORT_PHOTO(2)

static int report_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_report *x = elem;
        x->id = pg_col_i64(r, i, 0);
        x->created_at = pg_col_i64(r, i, 1);
        x->updated_at = pg_col_i64(r, i, 2);
        x->lon = pg_col_double(r, i, 3);
        x->lat = pg_col_double(r, i, 4);
        x->category = pg_col_strdup(r, i, 5);
        x->severity = (int)pg_col_i64(r, i, 6);
        x->text = pg_col_strdup(r, i, 7);
        x->status = pg_col_strdup(r, i, 8);
        x->is_public = pg_col_i64(r, i, 9) != 0;
        x->exercise = pg_col_i64(r, i, 10) != 0;
        x->user_id = pg_col_i64(r, i, 11);
        if (!x->category || !x->text || !x->status ||
            !(x->photo_paths = calloc(3, sizeof(*x->photo_paths))))
                return -ENOMEM;
        for (int p = 0; p < 3 && !pg_col_null(r, i, 12 + p); p++)
                if (!(x->photo_paths[x->n_photos++] = pg_col_strdup(r, i, 12 + p)))
                        return -ENOMEM;
        return 0;
}

int pg_reports_list(struct store *st, bool public_only, size_t limit, struct store_report_list *out)
{
        int rc =
            pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), report_fill, NULL,
                    "SELECT " REPORT_COLUMNS " FROM reports WHERE $1::bigint = 0 OR public = 1 "
                    "ORDER BY created_at DESC, id DESC LIMIT $2",
                    "bi", (int)public_only, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_report_list_free(out);
        return rc;
}

/* ---- Orders ------------------------------------------------------------ */

#define ORDER_COLUMNS                                                                              \
        "id, level, hazard, area_code, district_id, reason, issued_at, lifted_at, exercise, "      \
        "user_id"

static void order_cols(const PGresult *r, int i, struct store_order *o)
{
        o->id = pg_col_i64(r, i, 0);
        o->level = (int)pg_col_i64(r, i, 1);
        o->district_id = pg_col_i64(r, i, 4);
        o->issued_at = pg_col_i64(r, i, 6);
        o->lifted_at = pg_col_i64(r, i, 7);
        o->exercise = pg_col_i64(r, i, 8) != 0;
        o->user_id = pg_col_i64(r, i, 9);
}

/* The order's event from a row of ORDER_COLUMNS (always public: an order
 * is for everyone); takes r. */
static int order_event(struct pg *b, const char *type, PGresult *r)
{
        if (PQntuples(r) != 1) {
                PQclear(r);
                return -ENOENT;
        }
        struct store_order o = {0};
        order_cols(r, 0, &o);
        o.hazard = PQgetvalue(r, 0, 2);
        o.area_code = pg_col_null(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3);
        char subject[40], data[400];
        snprintf(subject, sizeof(subject), "orders/%lld", (long long)o.id);
        int rc = store_order_event_data(data, sizeof(data), &o);
        PQclear(r);
        return rc < 0 ? rc : pg_event(b, type, subject, o.level, true, o.exercise, data);
}

int pg_order_issue(struct store *st, const struct store_order *o, int64_t *id)
{
        if (!o || o->level < LEVEL_3 || o->level > LEVEL_5)
                return -EINVAL;
        return write_event(PG(st), order_event, "order.issued", id,
                           "INSERT INTO orders (level, hazard, area_code, district_id, reason, "
                           "issued_at, exercise, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                           "RETURNING " ORDER_COLUMNS,
                           "ittItibI", (int64_t)o->level, o->hazard, o->area_code, o->district_id,
                           o->reason, o->issued_at ? o->issued_at : pg_now(), (int)o->exercise,
                           o->user_id);
}

int pg_order_lift(struct store *st, int64_t id, int64_t lifted_at)
{
        return write_event(PG(st), order_event, "order.lifted", NULL,
                           "UPDATE orders SET lifted_at = $1 WHERE id = $2 AND lifted_at IS NULL "
                           "RETURNING " ORDER_COLUMNS,
                           "ii", lifted_at ? lifted_at : pg_now(), id);
}

static int order_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_order *o = elem;
        order_cols(r, i, o);
        o->hazard = pg_col_strdup(r, i, 2);
        o->area_code = pg_col_strdup(r, i, 3);
        o->reason = pg_col_strdup(r, i, 5);
        return o->hazard ? 0 : -ENOMEM;
}

int pg_orders_list(struct store *st, bool all_history, struct store_order_list *out)
{
        int rc =
            pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), order_fill, NULL,
                    "SELECT " ORDER_COLUMNS " FROM orders WHERE $1::bigint = 1 OR lifted_at IS "
                    "NULL ORDER BY issued_at DESC, id DESC",
                    "b", (int)all_history);
        if (rc < 0)
                store_order_list_free(out);
        return rc;
}

/* ---- Notices ----------------------------------------------------------- */

/* A notice's event data from a row of (id, category, public, exercise). */
static int notice_data(char *buf, size_t len, const PGresult *r, const char *type)
{
        return store_notice_event_data(buf, len, pg_col_i64(r, 0, 0), PQgetvalue(r, 0, 1),
                                       strcmp(type, NOTICE_WITHDRAWN) == 0);
}

/* A notice's publication, or with type NOTICE_WITHDRAWN its withdrawal
 * (told as notice.published with withdrawn: true, public as the notice
 * was). */
static int notice_event(struct pg *b, const char *type, PGresult *r)
{
        return row_event(b, type, "notices/", r, notice_data);
}

int pg_notice_publish(struct store *st, const struct store_notice *n, int64_t *id)
{
        if (!n || !store_event_text_valid(n->category))
                return -EINVAL;
        int64_t now = pg_now();
        return write_event(PG(st), notice_event, "notice.published", id,
                           "INSERT INTO notices (category, area_code, district_id, title_ja, "
                           "text_ja, valid_from, valid_to, public, exercise, user_id, created_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, "
                           "category, public, exercise",
                           "ttIttiIbbIi", n->category, n->area_code, n->district_id, n->title_ja,
                           n->text_ja, n->valid_from ? n->valid_from : now, n->valid_to,
                           (int)n->is_public, (int)n->exercise, n->user_id, now);
}

int pg_notice_withdraw(struct store *st, int64_t id, int64_t at)
{
        /* valid_to must stay after valid_from: a notice withdrawn before it
         * began ends one second after it began. */
        return write_event(PG(st), notice_event, NOTICE_WITHDRAWN, NULL,
                           "UPDATE notices SET valid_to = greatest($1, valid_from + 1) WHERE id = "
                           "$2 RETURNING id, category, public, exercise",
                           "ii", at ? at : pg_now(), id);
}

static int notice_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_notice *n = elem;
        n->id = pg_col_i64(r, i, 0);
        n->category = pg_col_strdup(r, i, 1);
        n->area_code = pg_col_strdup(r, i, 2);
        n->district_id = pg_col_i64(r, i, 3);
        n->title_ja = pg_col_strdup(r, i, 4);
        n->text_ja = pg_col_strdup(r, i, 5);
        n->valid_from = pg_col_i64(r, i, 6);
        n->valid_to = pg_col_i64(r, i, 7);
        n->is_public = pg_col_i64(r, i, 8) != 0;
        n->exercise = pg_col_i64(r, i, 9) != 0;
        n->user_id = pg_col_i64(r, i, 10);
        return n->category && n->title_ja && n->text_ja ? 0 : -ENOMEM;
}

int pg_notices_in_force(struct store *st, int64_t now, bool public_only,
                        struct store_notice_list *out)
{
        int rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), notice_fill, NULL,
                         "SELECT id, category, area_code, district_id, title_ja, text_ja, "
                         "valid_from, valid_to, public, exercise, user_id FROM notices WHERE "
                         "valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) AND "
                         "($2::bigint = 0 OR public = 1) ORDER BY valid_from DESC, id DESC",
                         "ib", now, (int)public_only);
        if (rc < 0)
                store_notice_list_free(out);
        return rc;
}

/* ---- Timelines --------------------------------------------------------- */

int pg_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                    unsigned levels_mask, const void *nonce, size_t nonce_len,
                    const void *ciphertext, size_t ciphertext_len)
{
        if (!token_hash || !nonce || !ciphertext || (levels_mask & ~0x3eu))
                return -EINVAL;
        return write_event(
            PG(st), NULL, NULL, NULL,
            "INSERT INTO timelines (token_hash, district_id, levels_mask, nonce, "
            "ciphertext, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "
            "ON CONFLICT (token_hash) DO UPDATE SET district_id = $2, levels_mask = "
            "$3, nonce = $4, ciphertext = $5, updated_at = $6 RETURNING id",
            "BIiBBi", token_hash, (size_t)32, district_id, (int64_t)levels_mask, nonce, nonce_len,
            ciphertext, ciphertext_len, pg_now());
}

int pg_timeline_get(struct store *st, const unsigned char token_hash[32],
                    struct store_timeline *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        if (!token_hash)
                return -EINVAL;
        int rc = pg_q(PG(st), &r,
                      "SELECT id, district_id, levels_mask, nonce, ciphertext, created_at, "
                      "updated_at FROM timelines WHERE token_hash = $1",
                      "B", token_hash, (size_t)32);
        if (rc < 0)
                return rc;
        if (PQntuples(r) == 1) {
                out->id = pg_col_i64(r, 0, 0);
                memcpy(out->token_hash, token_hash, 32);
                out->district_id = pg_col_i64(r, 0, 1);
                out->levels_mask = (unsigned)pg_col_i64(r, 0, 2);
                out->nonce = pg_col_bytea(r, 0, 3, &out->nonce_len);
                out->ciphertext = pg_col_bytea(r, 0, 4, &out->ciphertext_len);
                out->created_at = pg_col_i64(r, 0, 5);
                out->updated_at = pg_col_i64(r, 0, 6);
                if (!out->nonce || !out->ciphertext)
                        rc = -ENOMEM;
        } else {
                rc = -ENOENT;
        }
        PQclear(r);
        if (rc < 0)
                store_timeline_free(out);
        return rc;
}

int pg_timeline_delete(struct store *st, const unsigned char token_hash[32])
{
        if (!token_hash)
                return -EINVAL;
        return pg_change(PG(st), "DELETE FROM timelines WHERE token_hash = $1", "B", token_hash,
                         (size_t)32);
}

int pg_timelines_expire(struct store *st, int64_t before, size_t *removed)
{
        return delete_counted(PG(st), "DELETE FROM timelines WHERE updated_at < $1", before,
                              removed);
}

static int timeline_stat_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_timeline_stat *t = elem;
        t->district_id = pg_col_i64(r, i, 0);
        t->plans = pg_col_i64(r, i, 1);
        for (int l = 1; l <= 5; l++)
                t->per_level[l] = pg_col_i64(r, i, 1 + l);
        return 0;
}

int pg_timeline_stats(struct store *st, struct store_timeline_stat_list *out)
{
        int rc =
            pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), timeline_stat_fill, NULL,
                    "SELECT coalesce(district_id, 0), count(*), sum(levels_mask >> 1 & 1), "
                    "sum(levels_mask >> 2 & 1), sum(levels_mask >> 3 & 1), sum(levels_mask >> 4 "
                    "& 1), sum(levels_mask >> 5 & 1) FROM timelines GROUP BY 1 ORDER BY 1",
                    "");
        if (rc < 0)
                store_timeline_stat_list_free(out);
        return rc;
}

/* ---- Notification rules and queue -------------------------------------- */

int pg_notify_rule_add(struct store *st, const struct store_notify_rule *nr, int64_t *id)
{
        if (!nr)
                return -EINVAL;
        return write_event(
            PG(st), NULL, NULL, id,
            "INSERT INTO notify_rules (channel, target, area_code, district_id, "
            "min_level, event_types, staff, enabled, created_at) VALUES ($1, $2, $3, "
            "$4, $5, coalesce($6::json, '[]'), $7, $8, $9) RETURNING id",
            "tttIitbbi", nr->channel, nr->target, nr->area_code, nr->district_id,
            (int64_t)nr->min_level, nr->event_types, (int)nr->staff, (int)nr->enabled, pg_now());
}

int pg_notify_rule_delete(struct store *st, int64_t id)
{
        return pg_change(PG(st), "DELETE FROM notify_rules WHERE id = $1", "i", id);
}

static int notify_rule_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_notify_rule *x = elem;
        x->id = pg_col_i64(r, i, 0);
        x->channel = pg_col_strdup(r, i, 1);
        x->target = pg_col_strdup(r, i, 2);
        x->area_code = pg_col_strdup(r, i, 3);
        x->district_id = pg_col_i64(r, i, 4);
        x->min_level = (int)pg_col_i64(r, i, 5);
        x->event_types = pg_col_strdup(r, i, 6);
        x->staff = pg_col_i64(r, i, 7) != 0;
        x->enabled = pg_col_i64(r, i, 8) != 0;
        return x->channel && x->target && x->event_types ? 0 : -ENOMEM;
}

int pg_notify_rules_list(struct store *st, struct store_notify_rule_list *out)
{
        int rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), notify_rule_fill, NULL,
                         "SELECT id, channel, target, area_code, district_id, min_level, "
                         "event_types, staff, enabled FROM notify_rules ORDER BY id",
                         "");
        if (rc < 0)
                store_notify_rule_list_free(out);
        return rc;
}

int pg_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now)
{
        struct pg *b = PG(st);
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, NULL,
                  "INSERT INTO notify_queue (rule_id, event_id, next_try_at, created_at) VALUES "
                  "($1, $2, $3, $3) ON CONFLICT (rule_id, event_id) DO NOTHING",
                  "iii", rule_id, event_id, now);
        return pg_tx_end(b, rc);
}

static int notify_item_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_notify_item *n = elem;
        n->id = pg_col_i64(r, i, 0);
        n->rule_id = pg_col_i64(r, i, 1);
        n->event_id = pg_col_i64(r, i, 2);
        n->attempts = (int)pg_col_i64(r, i, 3);
        n->next_try_at = pg_col_i64(r, i, 4);
        n->state = pg_col_strdup(r, i, 5);
        return n->state ? 0 : -ENOMEM;
}

/* One statement takes and claims: the rows another notifier is claiming
 * at this moment are locked, and skipped, not waited for. */
int pg_notify_due(struct store *st, int64_t now, size_t limit, struct store_notify_item_list *out)
{
        int rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), notify_item_fill, NULL,
                         "WITH c AS (SELECT id, next_try_at FROM notify_queue WHERE state IN "
                         "('pending', 'failed') AND next_try_at <= $1 ORDER BY next_try_at, id "
                         "LIMIT $2 FOR UPDATE SKIP LOCKED), u AS (UPDATE notify_queue q SET "
                         "next_try_at = $3 FROM c WHERE q.id = c.id RETURNING q.id, q.rule_id, "
                         "q.event_id, q.attempts, c.next_try_at, q.state) SELECT * FROM u ORDER "
                         "BY next_try_at, id",
                         "iii", now, (int64_t)(limit ? limit : 100), now + STORE_NOTIFY_CLAIM_S);
        if (rc < 0)
                store_notify_item_list_free(out);
        return rc;
}

int pg_notify_release(struct store *st, int64_t id, int64_t now)
{
        return pg_change(PG(st),
                         "UPDATE notify_queue SET next_try_at = $1 WHERE id = $2 AND state IN "
                         "('pending', 'failed')",
                         "ii", now, id);
}

int pg_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                   const char *error)
{
        if (!state || strcmp(state, "pending") == 0)
                return -EINVAL;
        bool sent = strcmp(state, "sent") == 0;
        return pg_change(PG(st),
                         "UPDATE notify_queue SET state = $1, attempts = attempts + 1, "
                         "next_try_at = coalesce($2::bigint, next_try_at), last_error = $3, "
                         "sent_at = $4 WHERE id = $5",
                         "tItIi", state, next_try_at, error, sent ? pg_now() : (int64_t)0, id);
}

/* ---- Watch points ------------------------------------------------------ */

int pg_watch_point_put(struct store *st, const struct store_watch_point *w, int64_t *id)
{
        struct pg *b = PG(st);
        if (!w || !w->name || (w->n_stations && !w->station_ids))
                return -EINVAL;
        char *g = NULL;
        int rc = pg_geom(b, w->geom.wkb, w->geom.wkb_len, w->geom.wkt, false, &g);
        if (rc < 0)
                return rc;
        int64_t now = pg_now(), wid = w->id;
        rc = pg_tx_begin(b);
        if (rc < 0)
                goto out;
        /* The JSON type and its check refuse a checklist that is not a JSON
         * array (-EINVAL). */
        if (wid == 0)
                rc = pg_query_int(b, &wid,
                                  "INSERT INTO watch_points (name, note, checklist, created_at, "
                                  "updated_at, geom) VALUES ($1, $2, coalesce($3::json, '[]'), $4, "
                                  "$4, $5::geometry) RETURNING id",
                                  "tttit", w->name, w->note, w->checklist, now, g);
        else
                rc = pg_change(b,
                               "UPDATE watch_points SET name = $1, note = $2, checklist = "
                               "coalesce($3::json, '[]'), updated_at = $4, geom = $5::geometry "
                               "WHERE id = $6",
                               "tttiti", w->name, w->note, w->checklist, now, g, wid);
        if (rc == 0)
                rc = pg_q(b, NULL, "DELETE FROM watch_point_stations WHERE watch_point_id = $1",
                          "i", wid);
        if (rc == 0)
                rc = link_ids(b,
                              "INSERT INTO watch_point_stations (watch_point_id, station_id) "
                              "SELECT $1, s FROM unnest($2::bigint[]) AS s ON CONFLICT DO NOTHING",
                              wid, w->station_ids, w->n_stations);
        rc = pg_tx_end(b, rc);
out:
        free(g);
        if (rc == 0 && id)
                *id = wid;
        return rc;
}

int pg_watch_point_delete(struct store *st, int64_t id)
{
        return pg_change(PG(st), "DELETE FROM watch_points WHERE id = $1", "i", id);
}

static int watch_point_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_watch_point_row *w = elem;
        w->id = pg_col_i64(r, i, 0);
        w->name = pg_col_strdup(r, i, 1);
        w->note = pg_col_strdup(r, i, 2);
        w->checklist = pg_col_strdup(r, i, 3);
        w->geojson = pg_col_strdup(r, i, 4);
        if (!w->name || !w->checklist || !w->geojson)
                return -ENOMEM;
        return ids_parse(r, i, 5, &w->station_ids, &w->n_stations);
}

int pg_watch_points_list(struct store *st, struct store_watch_point_list *out)
{
        /* GeoJSON without a crs member (options 0), as SpatiaLite writes it:
         * RFC 7946 has none, and the coordinates are JGD2011 lon/lat. */
        int rc = pg_list(PG(st), (void **)&out->v, &out->n, sizeof(*out->v), watch_point_fill, NULL,
                         "SELECT id, name, note, checklist, ST_AsGeoJSON(geom, 7, 0), (SELECT "
                         "string_agg(station_id::text, ',' ORDER BY station_id) FROM "
                         "watch_point_stations WHERE watch_point_id = watch_points.id) FROM "
                         "watch_points ORDER BY id",
                         "");
        if (rc < 0)
                store_watch_point_list_free(out);
        return rc;
}
