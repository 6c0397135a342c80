/* The SpatiaLite backend: the JMA collector's telegram ledger
 * (store_sources.h, table jma_telegrams of migration 0003). */
#include "sl.h"

#include <errno.h>
#include <string.h>

int sl_jma_telegram_put(struct store *st, const struct store_jma_telegram *t)
{
        struct sl *b = SL(st);
        if (!t || !t->url || !t->feed || !t->title || !t->office ||
            !store_jma_state_valid(t->state) || t->attempts < 0)
                return -EINVAL;
        int64_t now = sl_now();
        return sl_run(b,
                      "INSERT INTO jma_telegrams (url, feed, title, office, state, attempts, "
                      "last_error, first_seen_at, updated_at, document_id, report_status, "
                      "info_type, event_id, serial, datetime) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8, ?9, ?10, ?11, ?12, ?13, nullif(?14, -1), ?15) ON CONFLICT (url) DO "
                      "UPDATE SET feed = ?2, title = ?3, office = ?4, state = ?5, attempts = ?6, "
                      "last_error = ?7, updated_at = ?9, document_id = ?10, report_status = ?11, "
                      "info_type = ?12, event_id = ?13, serial = nullif(?14, -1), datetime = ?15",
                      "tttttitiiItttiI", t->url, t->feed, t->title, t->office, t->state,
                      (int64_t)t->attempts, t->last_error,
                      t->first_seen_at > 0 ? t->first_seen_at : now, now, t->document_id,
                      t->report_status, t->info_type, t->event_id, (int64_t)t->serial, t->datetime);
}

static int telegram_fill(sqlite3_stmt *s, void *elem, void *ctx)
{
        struct store_jma_telegram *t = elem;
        t->url = sl_col_strdup(s, 0);
        t->feed = sl_col_strdup(s, 1);
        t->title = sl_col_strdup(s, 2);
        t->office = sl_col_strdup(s, 3);
        t->state = sl_col_strdup(s, 4);
        t->attempts = sqlite3_column_int(s, 5);
        t->last_error = sl_col_strdup(s, 6);
        t->first_seen_at = sqlite3_column_int64(s, 7);
        t->updated_at = sqlite3_column_int64(s, 8);
        t->document_id = sqlite3_column_int64(s, 9);
        t->report_status = sl_col_strdup(s, 10);
        t->info_type = sl_col_strdup(s, 11);
        t->event_id = sl_col_strdup(s, 12);
        t->serial = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 13);
        t->datetime = sqlite3_column_int64(s, 14);
        return t->url && t->feed && t->title && t->office && t->state ? 0 : -ENOMEM;
}

#define TELEGRAM_COLUMNS                                                                           \
        "url, feed, title, office, state, attempts, last_error, first_seen_at, updated_at, "       \
        "document_id, report_status, info_type, event_id, serial, datetime"

int sl_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        if (!url)
                return -EINVAL;
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), telegram_fill, NULL,
                         "SELECT " TELEGRAM_COLUMNS " FROM jma_telegrams WHERE url = ?", "t", url);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_jma_telegram_list_free(out);
        return rc;
}

int sl_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out)
{
        struct sl *b = SL(st);
        memset(out, 0, sizeof(*out));
        int rc = sl_list(b, (void **)&out->v, &out->n, sizeof(*out->v), telegram_fill, NULL,
                         "SELECT " TELEGRAM_COLUMNS " FROM jma_telegrams WHERE state = 'done' AND "
                         "datetime >= ? ORDER BY office, title, report_status, "
                         "coalesce(event_id, ''), datetime, coalesce(serial, -1), url",
                         "i", since);
        if (rc < 0)
                store_jma_telegram_list_free(out);
        return rc;
}

int sl_jma_telegrams_count(struct store *st, const char *state, int64_t *n)
{
        if (!store_jma_state_valid(state))
                return -EINVAL;
        return sl_query_int(SL(st), "SELECT count(*) FROM jma_telegrams WHERE state = ?", n, "t",
                            state);
}
