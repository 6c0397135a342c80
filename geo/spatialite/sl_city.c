/* The SpatiaLite backend: users, audit log, field reports, orders,
 * notices, timelines, notification rules and queue. */
#include "sl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends one int64 to a growing array. */
static int push_i64(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
        if (*n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                int64_t *nv = realloc(*v, ncap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = ncap;
        }
        (*v)[(*n)++] = x;
        return 0;
}

/* ---- Users ------------------------------------------------------------- */

int sl_user_add(struct store *st, const struct store_user *u, int64_t *id)
{
        struct sl *b = SL(st);
        if (!u || (u->n_shelters && !u->shelter_ids))
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO users (name, display_name, role, password_hash, disabled, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "ttttbii", u->name, u->display_name, u->role, u->password_hash,
                    (int)u->disabled, now, now);
        int64_t uid = sqlite3_last_insert_rowid(b->db);
        for (size_t i = 0; i < u->n_shelters && rc == 0; i++)
                rc = sl_run(b, "INSERT INTO user_shelters (user_id, shelter_id) VALUES (?, ?)",
                            "ii", uid, u->shelter_ids[i]);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = uid;
        return rc;
}

static int user_change(struct sl *b, const char *sql, const char *fmt, int64_t id, const char *text,
                       int flag)
{
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = fmt[0] == 't' ? sl_run(b, sql, "tii", text, sl_now(), id)
                           : sl_run(b, sql, "bii", flag, sl_now(), id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        /* A new password or a disabled account ends every session of the
         * user, on every portal instance. */
        if (rc == 0 && (fmt[0] == 't' || flag))
                rc = sl_run(b, "DELETE FROM sessions WHERE user_id = ?", "i", id);
        return sl_tx_end(b, rc);
}

int sl_user_set_password(struct store *st, int64_t id, const char *password_hash)
{
        if (!password_hash)
                return -EINVAL;
        return user_change(SL(st),
                           "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", "t",
                           id, password_hash, 0);
}

int sl_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
        return user_change(SL(st), "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
                           "b", id, NULL, disabled);
}

static int user_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct sl *b = ctx;
        struct store_user *u = elem;
        u->id = sqlite3_column_int64(s, 0);
        u->name = sl_col_strdup(s, 1);
        u->display_name = sl_col_strdup(s, 2);
        u->role = sl_col_strdup(s, 3);
        u->password_hash = sl_col_strdup(s, 4);
        u->disabled = sqlite3_column_int(s, 5) != 0;
        if (!u->name || !u->role || !u->password_hash)
                return -ENOMEM;
        int rc = 0;
        sqlite3_stmt *q = sl_query(
            b, "SELECT shelter_id FROM user_shelters WHERE user_id = ? ORDER BY shelter_id", &rc,
            "i", u->id);
        if (!q)
                return rc;
        size_t cap = 0;
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW)
                rc = push_i64(&u->shelter_ids, &u->n_shelters, &cap, sqlite3_column_int64(q, 0));
        sqlite3_reset(q);
        return rc;
}

static int users_query(struct sl *b, const char *name, struct store_user_list *out)
{
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), user_fill, b,
                         "SELECT id, name, display_name, role, password_hash, disabled "
                         "FROM users WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                         "t", name);
        if (rc == 0 && name && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_user_list_free(out);
        return rc;
}

int sl_user_get(struct store *st, const char *name, struct store_user_list *out)
{
        return users_query(SL(st), name, out);
}

int sl_users_list(struct store *st, struct store_user_list *out)
{
        return users_query(SL(st), NULL, out);
}

/* ---- Audit log --------------------------------------------------------- */

int sl_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                 const char *object, const char *before_json, const char *after_json)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO audit_log (at, user_id, actor, action, object, before_json, "
                    "after_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "iIttttt", sl_now(), user_id, actor, action, object, before_json, after_json);
        return sl_tx_end(b, rc);
}

/* ---- Staff sessions ---------------------------------------------------- */

int sl_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                   const char *csrf, int64_t created_at, int64_t expires_at)
{
        if (!token_hash || !csrf)
                return -EINVAL;
        return sl_insert(SL(st), NULL,
                         "INSERT INTO sessions (token_hash, user_id, csrf, created_at, "
                         "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                         "Bitiii", token_hash, (size_t)32, user_id, csrf, created_at, created_at,
                         expires_at);
}

static int session_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_session *x = elem;
        (void)ctx;
        x->id = sqlite3_column_int64(s, 0);
        x->user_id = sqlite3_column_int64(s, 1);
        x->user_name = sl_col_strdup(s, 2);
        x->csrf = sl_col_strdup(s, 3);
        x->created_at = sqlite3_column_int64(s, 4);
        x->last_seen_at = sqlite3_column_int64(s, 5);
        x->expires_at = sqlite3_column_int64(s, 6);
        return x->user_name && x->csrf ? 0 : -ENOMEM;
}

int sl_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                   struct store_session_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), session_fill, NULL,
                         "SELECT s.id, s.user_id, u.name, s.csrf, s.created_at, s.last_seen_at, "
                         "s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
                         "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
                         "Bi", token_hash, (size_t)32, now);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_session_list_free(out);
        return rc;
}

int sl_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now)
{
        return sl_change(SL(st),
                         "UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE "
                         "token_hash = ?",
                         "iB", now, token_hash, (size_t)32);
}

int sl_session_delete(struct store *st, const unsigned char token_hash[32])
{
        return sl_change(SL(st), "DELETE FROM sessions WHERE token_hash = ?", "B", token_hash,
                         (size_t)32);
}

/* Runs a DELETE bound to one time in its own (nested) transaction;
 * *removed (may be NULL) gets the rows it removed. */
static int delete_counted(struct sl *b, const char *sql, int64_t t, size_t *removed)
{
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b, sql, "i", t);
        size_t n = rc == 0 ? (size_t)sqlite3_changes(b->db) : 0;
        rc = sl_tx_end(b, rc);
        if (rc == 0 && removed)
                *removed = n;
        return rc;
}

int sl_sessions_purge(struct store *st, int64_t now, size_t *removed)
{
        return delete_counted(SL(st), "DELETE FROM sessions WHERE expires_at <= ?", now, removed);
}

static int audit_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_audit *a = elem;
        a->id = sqlite3_column_int64(s, 0);
        a->at = sqlite3_column_int64(s, 1);
        a->user_id = sqlite3_column_int64(s, 2);
        a->actor = sl_col_strdup(s, 3);
        a->action = sl_col_strdup(s, 4);
        a->object = sl_col_strdup(s, 5);
        a->before_json = sl_col_strdup(s, 6);
        a->after_json = sl_col_strdup(s, 7);
        return a->actor && a->action && a->object ? 0 : -ENOMEM;
}

int sl_audit_list(struct store *st, int64_t after_id, size_t limit, struct store_audit_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), audit_fill, NULL,
                         "SELECT id, at, user_id, actor, action, object, before_json, "
                         "after_json FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
                         "ii", after_id, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_audit_list_free(out);
        return rc;
}

int sl_audit_query(struct store *st, const struct store_audit_filter *f,
                   struct store_audit_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        if (!f)
                return -EINVAL;
        const char *exact = NULL;
        char lo[300], hi[300];
        int rc = store_audit_object_range(f->object, &exact, lo, hi);
        if (rc < 0)
                return rc;
        rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), audit_fill, NULL,
                     "SELECT id, at, user_id, actor, action, object, before_json, after_json "
                     "FROM audit_log WHERE (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at < ?2) "
                     "AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR object = ?4) "
                     "AND (?5 IS NULL OR object = ?7 OR (object >= ?5 AND object < ?6)) "
                     "AND (?8 = 0 OR id < ?8) ORDER BY id DESC LIMIT ?9",
                     "iitttttii", f->from, f->to, f->actor, exact, lo[0] ? lo : NULL,
                     hi[0] ? hi : NULL, lo[0] ? f->object : NULL, f->before_id,
                     (int64_t)(f->limit ? f->limit : 100));
        if (rc < 0)
                store_audit_list_free(out);
        return rc;
}

/* ---- Field reports ----------------------------------------------------- */

static int report_event(struct sl *b, const char *type, int64_t id)
{
        int rc = 0;
        sqlite3_stmt *s = sl_row(b, &rc,
                                 "SELECT status, public, exercise, category, severity FROM "
                                 "reports WHERE id = ?",
                                 "i", id);
        if (!s)
                return rc;
        char subject[40], data[256];
        bool pub = sqlite3_column_int(s, 1) != 0, ex = sqlite3_column_int(s, 2) != 0;
        snprintf(subject, sizeof(subject), "reports/%lld", (long long)id);
        rc = store_report_event_data(
            data, sizeof(data), id, (const char *)sqlite3_column_text(s, 0),
            (const char *)sqlite3_column_text(s, 3), sqlite3_column_int(s, 4));
        sqlite3_reset(s);
        return rc < 0 ? rc : sl_event(b, type, subject, LEVEL_NONE, pub, ex, data);
}

int sl_report_create(struct store *st, const struct store_report *r, int64_t *id)
{
        struct sl *b = SL(st);
        if (!r || !isfinite(r->lon) || !isfinite(r->lat) || !store_event_text_valid(r->category))
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO reports (created_at, updated_at, lon, lat, geom, category, "
                    "severity, text, status, public, exercise, user_id) VALUES (?1, ?1, ?2, ?3, "
                    "MakePoint(?2, ?3, 6668), ?4, ?5, ?6, 'new', ?7, ?8, ?9)",
                    "iddtitbbI", r->created_at ? r->created_at : now, r->lon, r->lat, r->category,
                    (int64_t)r->severity, r->text, (int)r->is_public, (int)r->exercise, r->user_id);
        int64_t rid = sqlite3_last_insert_rowid(b->db);
        if (rc == 0)
                rc = report_event(b, "report.created", rid);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = rid;
        return rc;
}

int sl_report_add_photo(struct store *st, int64_t report_id, const char *path,
                        const char *content_type, int64_t bytes)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO report_photos (report_id, path, content_type, bytes, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    "ittii", report_id, path, content_type, bytes, sl_now());
        /* The trigger's RAISE(ABORT) for a fourth photo is a constraint. */
        return sl_tx_end(b, rc);
}

int sl_report_update(struct store *st, int64_t id, const char *status, bool is_public)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b, "UPDATE reports SET status = ?, public = ?, updated_at = ? WHERE id = ?",
                    "tbii", status, (int)is_public, sl_now(), id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        if (rc == 0)
                rc = report_event(b, "report.updated", id);
        return sl_tx_end(b, rc);
}

static int report_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct sl *b = ctx;
        struct store_report *r = elem;
        r->id = sqlite3_column_int64(s, 0);
        r->created_at = sqlite3_column_int64(s, 1);
        r->updated_at = sqlite3_column_int64(s, 2);
        r->lon = sqlite3_column_double(s, 3);
        r->lat = sqlite3_column_double(s, 4);
        r->category = sl_col_strdup(s, 5);
        r->severity = sqlite3_column_int(s, 6);
        r->text = sl_col_strdup(s, 7);
        r->status = sl_col_strdup(s, 8);
        r->is_public = sqlite3_column_int(s, 9) != 0;
        r->exercise = sqlite3_column_int(s, 10) != 0;
        r->user_id = sqlite3_column_int64(s, 11);
        if (!r->category || !r->text || !r->status)
                return -ENOMEM;
        int rc = 0;
        sqlite3_stmt *q = sl_query(
            b, "SELECT path FROM report_photos WHERE report_id = ? ORDER BY id", &rc, "i", r->id);
        if (!q)
                return rc;
        r->photo_paths = calloc(3, sizeof(*r->photo_paths));
        while (r->photo_paths && r->n_photos < 3 && sqlite3_step(q) == SQLITE_ROW) {
                r->photo_paths[r->n_photos] = sl_col_strdup(q, 0);
                if (!r->photo_paths[r->n_photos])
                        rc = -ENOMEM;
                r->n_photos++;
        }
        sqlite3_reset(q);
        return r->photo_paths ? rc : -ENOMEM;
}

int sl_reports_list(struct store *st, bool public_only, size_t limit, struct store_report_list *out)
{
        struct sl *b = SL(st);
        int rc =
            sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), report_fill, b,
                    "SELECT id, created_at, updated_at, lon, lat, category, severity, text, "
                    "status, public, exercise, user_id FROM reports WHERE ?1 = 0 OR public = 1 "
                    "ORDER BY created_at DESC, id DESC LIMIT ?2",
                    "bi", (int)public_only, (int64_t)(limit ? limit : 1000));
        if (rc < 0)
                store_report_list_free(out);
        return rc;
}

/* ---- Orders ------------------------------------------------------------ */

static int order_event(struct sl *b, const char *type, int64_t id)
{
        int rc = 0;
        sqlite3_stmt *s = sl_row(b, &rc,
                                 "SELECT level, hazard, area_code, district_id, exercise, "
                                 "issued_at, lifted_at FROM orders WHERE id = ?",
                                 "i", id);
        if (!s)
                return rc;
        struct store_order o = {.id = id,
                                .level = sqlite3_column_int(s, 0),
                                .hazard = (const char *)sqlite3_column_text(s, 1),
                                .area_code = (const char *)sqlite3_column_text(s, 2),
                                .district_id = sqlite3_column_int64(s, 3),
                                .exercise = sqlite3_column_int(s, 4) != 0,
                                .issued_at = sqlite3_column_int64(s, 5),
                                .lifted_at = sqlite3_column_int64(s, 6)};
        char subject[40], data[400];
        snprintf(subject, sizeof(subject), "orders/%lld", (long long)id);
        rc = store_order_event_data(data, sizeof(data), &o);
        sqlite3_reset(s);
        return rc < 0 ? rc : sl_event(b, type, subject, o.level, true, o.exercise, data);
}

int sl_order_issue(struct store *st, const struct store_order *o, int64_t *id)
{
        struct sl *b = SL(st);
        if (!o || o->level < LEVEL_3 || o->level > LEVEL_5)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc =
            sl_run(b,
                   "INSERT INTO orders (level, hazard, area_code, district_id, reason, issued_at, "
                   "exercise, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   "ittItibI", (int64_t)o->level, o->hazard, o->area_code, o->district_id,
                   o->reason, o->issued_at ? o->issued_at : sl_now(), (int)o->exercise, o->user_id);
        int64_t oid = sqlite3_last_insert_rowid(b->db);
        if (rc == 0)
                rc = order_event(b, "order.issued", oid);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = oid;
        return rc;
}

int sl_order_lift(struct store *st, int64_t id, int64_t lifted_at)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b, "UPDATE orders SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL", "ii",
                    lifted_at ? lifted_at : sl_now(), id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        if (rc == 0)
                rc = order_event(b, "order.lifted", id);
        return sl_tx_end(b, rc);
}

static int order_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_order *o = elem;
        o->id = sqlite3_column_int64(s, 0);
        o->level = sqlite3_column_int(s, 1);
        o->hazard = sl_col_strdup(s, 2);
        o->area_code = sl_col_strdup(s, 3);
        o->district_id = sqlite3_column_int64(s, 4);
        o->reason = sl_col_strdup(s, 5);
        o->issued_at = sqlite3_column_int64(s, 6);
        o->lifted_at = sqlite3_column_int64(s, 7);
        o->exercise = sqlite3_column_int(s, 8) != 0;
        o->user_id = sqlite3_column_int64(s, 9);
        return o->hazard ? 0 : -ENOMEM;
}

int sl_orders_list(struct store *st, bool all_history, struct store_order_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), order_fill, NULL,
                         "SELECT id, level, hazard, area_code, district_id, reason, "
                         "issued_at, lifted_at, exercise, user_id FROM orders WHERE ?1 "
                         "OR lifted_at IS NULL ORDER BY issued_at DESC, id DESC",
                         "b", (int)all_history);
        if (rc < 0)
                store_order_list_free(out);
        return rc;
}

/* ---- Notices ----------------------------------------------------------- */

int sl_notice_publish(struct store *st, const struct store_notice *n, int64_t *id)
{
        struct sl *b = SL(st);
        if (!n || !store_event_text_valid(n->category))
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO notices (category, area_code, district_id, title_ja, text_ja, "
                    "valid_from, valid_to, public, exercise, user_id, created_at) VALUES (?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?)",
                    "ttIttiIbbIi", n->category, n->area_code, n->district_id, n->title_ja,
                    n->text_ja, n->valid_from ? n->valid_from : now, n->valid_to, (int)n->is_public,
                    (int)n->exercise, n->user_id, now);
        int64_t nid = sqlite3_last_insert_rowid(b->db);
        if (rc == 0) {
                char subject[40], data[200];
                snprintf(subject, sizeof(subject), "notices/%lld", (long long)nid);
                rc = store_notice_event_data(data, sizeof(data), nid, n->category, false);
                if (rc == 0)
                        rc = sl_event(b, "notice.published", subject, LEVEL_NONE, n->is_public,
                                      n->exercise, data);
        }
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = nid;
        return rc;
}

int sl_notice_withdraw(struct store *st, int64_t id, int64_t at)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        /* valid_to must stay after valid_from: a notice withdrawn before it
         * began ends one second after it began. */
        rc = sl_run(b, "UPDATE notices SET valid_to = max(?, valid_from + 1) WHERE id = ?", "ii",
                    at ? at : sl_now(), id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        /* The withdrawal is told as notice.published with withdrawn: true,
         * public as the notice was, so every reader of notices hears it. */
        sqlite3_stmt *s = NULL;
        if (rc == 0)
                s = sl_row(b, &rc, "SELECT category, public, exercise FROM notices WHERE id = ?",
                           "i", id);
        if (s) {
                char subject[40], data[200];
                const char *cat = (const char *)sqlite3_column_text(s, 0);
                bool pub = sqlite3_column_int(s, 1) != 0, ex = sqlite3_column_int(s, 2) != 0;
                snprintf(subject, sizeof(subject), "notices/%lld", (long long)id);
                rc = store_notice_event_data(data, sizeof(data), id, cat, true);
                sqlite3_reset(s);
                if (rc == 0)
                        rc = sl_event(b, "notice.published", subject, LEVEL_NONE, pub, ex, data);
        }
        return sl_tx_end(b, rc);
}

static int notice_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_notice *n = elem;
        n->id = sqlite3_column_int64(s, 0);
        n->category = sl_col_strdup(s, 1);
        n->area_code = sl_col_strdup(s, 2);
        n->district_id = sqlite3_column_int64(s, 3);
        n->title_ja = sl_col_strdup(s, 4);
        n->text_ja = sl_col_strdup(s, 5);
        n->valid_from = sqlite3_column_int64(s, 6);
        n->valid_to = sqlite3_column_int64(s, 7);
        n->is_public = sqlite3_column_int(s, 8) != 0;
        n->exercise = sqlite3_column_int(s, 9) != 0;
        n->user_id = sqlite3_column_int64(s, 10);
        return n->category && n->title_ja && n->text_ja ? 0 : -ENOMEM;
}

int sl_notices_in_force(struct store *st, int64_t now, bool public_only,
                        struct store_notice_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), notice_fill, NULL,
                         "SELECT id, category, area_code, district_id, title_ja, "
                         "text_ja, valid_from, valid_to, public, exercise, user_id FROM "
                         "notices WHERE valid_from <= ?1 AND (valid_to IS NULL OR "
                         "valid_to > ?1) AND (?2 = 0 OR public = 1) ORDER BY "
                         "valid_from DESC, id DESC",
                         "ib", now, (int)public_only);
        if (rc < 0)
                store_notice_list_free(out);
        return rc;
}

/* ---- Timelines --------------------------------------------------------- */

int sl_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                    unsigned levels_mask, const void *nonce, size_t nonce_len,
                    const void *ciphertext, size_t ciphertext_len)
{
        struct sl *b = SL(st);
        if (!token_hash || !nonce || !ciphertext || (levels_mask & ~0x3eu))
                return -EINVAL;
        int64_t now = sl_now();
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO timelines (token_hash, district_id, levels_mask, nonce, "
                    "ciphertext, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                    "ON CONFLICT (token_hash) DO UPDATE SET district_id = ?2, levels_mask = ?3, "
                    "nonce = ?4, ciphertext = ?5, updated_at = ?6",
                    "BIiBBi", token_hash, (size_t)32, district_id, (int64_t)levels_mask, nonce,
                    nonce_len, ciphertext, ciphertext_len, now);
        return sl_tx_end(b, rc);
}

static void *blob_dup(sqlite3_stmt *s, int i, size_t *len)
{
        int n = sqlite3_column_bytes(s, i);
        void *p = malloc(n > 0 ? (size_t)n : 1);
        if (p && n > 0)
                memcpy(p, sqlite3_column_blob(s, i), (size_t)n);
        *len = n > 0 ? (size_t)n : 0;
        return p;
}

int sl_timeline_get(struct store *st, const unsigned char token_hash[32],
                    struct store_timeline *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = 0;
        sqlite3_stmt *s = sl_query(b,
                                   "SELECT id, district_id, levels_mask, nonce, ciphertext, "
                                   "created_at, updated_at FROM timelines WHERE token_hash = ?",
                                   &rc, "B", token_hash, (size_t)32);
        if (!s)
                return rc;
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
                out->id = sqlite3_column_int64(s, 0);
                memcpy(out->token_hash, token_hash, 32);
                out->district_id = sqlite3_column_int64(s, 1);
                out->levels_mask = (unsigned)sqlite3_column_int(s, 2);
                out->nonce = blob_dup(s, 3, &out->nonce_len);
                out->ciphertext = blob_dup(s, 4, &out->ciphertext_len);
                out->created_at = sqlite3_column_int64(s, 5);
                out->updated_at = sqlite3_column_int64(s, 6);
                if (!out->nonce || !out->ciphertext)
                        rc = -ENOMEM;
        } else {
                rc = r == SQLITE_DONE ? -ENOENT : sl_err(sqlite3_extended_errcode(b->db));
        }
        sqlite3_reset(s);
        if (rc < 0)
                store_timeline_free(out);
        return rc;
}

int sl_timeline_delete(struct store *st, const unsigned char token_hash[32])
{
        struct sl *b = SL(st);
        return sl_change(b, "DELETE FROM timelines WHERE token_hash = ?", "B", token_hash,
                         (size_t)32);
}

int sl_timelines_expire(struct store *st, int64_t before, size_t *removed)
{
        return delete_counted(SL(st), "DELETE FROM timelines WHERE updated_at < ?", before,
                              removed);
}

static int timeline_stat_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_timeline_stat *t = elem;
        t->district_id = sqlite3_column_int64(s, 0);
        t->plans = sqlite3_column_int64(s, 1);
        for (int l = 1; l <= 5; l++)
                t->per_level[l] = sqlite3_column_int64(s, 1 + l);
        return 0;
}

int sl_timeline_stats(struct store *st, struct store_timeline_stat_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(
            b, (void **)&out->v, &out->n, sizeof(*out->v), timeline_stat_fill, NULL,
            "SELECT coalesce(district_id, 0), count(*), sum(levels_mask >> 1 & 1), "
            "sum(levels_mask >> 2 & 1), sum(levels_mask >> 3 & 1), sum(levels_mask >> 4 & 1), "
            "sum(levels_mask >> 5 & 1) FROM timelines GROUP BY 1 ORDER BY 1",
            "");
        if (rc < 0)
                store_timeline_stat_list_free(out);
        return rc;
}

/* ---- Notification rules and queue -------------------------------------- */

int sl_notify_rule_add(struct store *st, const struct store_notify_rule *r, int64_t *id)
{
        struct sl *b = SL(st);
        if (!r)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc =
            sl_run(b,
                   "INSERT INTO notify_rules (channel, target, area_code, district_id, "
                   "min_level, event_types, staff, enabled, created_at) VALUES (?, ?, ?, ?, ?, "
                   "coalesce(?, '[]'), ?, ?, ?)",
                   "tttIitbbi", r->channel, r->target, r->area_code, r->district_id,
                   (int64_t)r->min_level, r->event_types, (int)r->staff, (int)r->enabled, sl_now());
        int64_t rid = sqlite3_last_insert_rowid(b->db);
        rc = sl_tx_end(b, rc);
        if (rc == 0 && id)
                *id = rid;
        return rc;
}

int sl_notify_rule_delete(struct store *st, int64_t id)
{
        struct sl *b = SL(st);
        return sl_change(b, "DELETE FROM notify_rules WHERE id = ?", "i", id);
}

static int notify_rule_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_notify_rule *r = elem;
        r->id = sqlite3_column_int64(s, 0);
        r->channel = sl_col_strdup(s, 1);
        r->target = sl_col_strdup(s, 2);
        r->area_code = sl_col_strdup(s, 3);
        r->district_id = sqlite3_column_int64(s, 4);
        r->min_level = sqlite3_column_int(s, 5);
        r->event_types = sl_col_strdup(s, 6);
        r->staff = sqlite3_column_int(s, 7) != 0;
        r->enabled = sqlite3_column_int(s, 8) != 0;
        return r->channel && r->target && r->event_types ? 0 : -ENOMEM;
}

int sl_notify_rules_list(struct store *st, struct store_notify_rule_list *out)
{
        struct sl *b = SL(st);
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), notify_rule_fill, NULL,
                         "SELECT id, channel, target, area_code, district_id, "
                         "min_level, event_types, staff, enabled FROM notify_rules "
                         "ORDER BY id",
                         "");
        if (rc < 0)
                store_notify_rule_list_free(out);
        return rc;
}

int sl_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "INSERT INTO notify_queue (rule_id, event_id, next_try_at, created_at) VALUES "
                    "(?1, ?2, ?3, ?3) ON CONFLICT (rule_id, event_id) DO NOTHING",
                    "iii", rule_id, event_id, now);
        return sl_tx_end(b, rc);
}

static int notify_item_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_notify_item *n = elem;
        n->id = sqlite3_column_int64(s, 0);
        n->rule_id = sqlite3_column_int64(s, 1);
        n->event_id = sqlite3_column_int64(s, 2);
        n->attempts = sqlite3_column_int(s, 3);
        n->next_try_at = sqlite3_column_int64(s, 4);
        n->state = sl_col_strdup(s, 5);
        return n->state ? 0 : -ENOMEM;
}

/* Takes and claims under the write lock: a second notifier waits for it,
 * then finds the items claimed. */
int sl_notify_due(struct store *st, int64_t now, size_t limit, struct store_notify_item_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), notify_item_fill, NULL,
                     "SELECT id, rule_id, event_id, attempts, next_try_at, state "
                     "FROM notify_queue WHERE state IN ('pending', 'failed') AND "
                     "next_try_at <= ? ORDER BY next_try_at, id LIMIT ?",
                     "ii", now, (int64_t)(limit ? limit : 100));
        for (size_t i = 0; rc == 0 && i < out->n; i++)
                rc = sl_run(b, "UPDATE notify_queue SET next_try_at = ? WHERE id = ?", "ii",
                            now + STORE_NOTIFY_CLAIM_S, out->v[i].id);
        rc = sl_tx_end(b, rc);
        if (rc < 0)
                store_notify_item_list_free(out);
        return rc;
}

int sl_notify_release(struct store *st, int64_t id, int64_t now)
{
        struct sl *b = SL(st);
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = sl_run(b,
                    "UPDATE notify_queue SET next_try_at = ? WHERE id = ? AND state IN "
                    "('pending', 'failed')",
                    "ii", now, id);
        return sl_tx_end(b, rc);
}

int sl_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                   const char *error)
{
        struct sl *b = SL(st);
        if (!state || strcmp(state, "pending") == 0)
                return -EINVAL;
        int rc = sl_tx_begin(b);
        if (rc < 0)
                return rc;
        bool sent = strcmp(state, "sent") == 0;
        rc = sl_run(b,
                    "UPDATE notify_queue SET state = ?, attempts = attempts + 1, next_try_at = "
                    "coalesce(?, next_try_at), last_error = ?, sent_at = ? WHERE id = ?",
                    "tItIi", state, next_try_at, error, sent ? sl_now() : (int64_t)0, id);
        if (rc == 0 && sqlite3_changes(b->db) == 0)
                rc = -ENOENT;
        return sl_tx_end(b, rc);
}
