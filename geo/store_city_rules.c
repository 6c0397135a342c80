/* The rules of the city's data that belong to no backend: the data of the
 * report, order and notice events, the areas of a drill and the removal of
 * its stations, and how an audit filter names an entity.  Both backends call them, so the events
 * read the same whichever store wrote them (docs/store.md). */
#include "store_backend.h"

#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_report_event_data(char *buf, size_t len, int64_t id, const char *status,
                            const char *category, int severity)
{
        /* The event carries no position and no text: public consumers read
         * the report itself, with the location rounded. */
        int n = snprintf(
            buf, len, "{\"report\":%lld,\"status\":\"%s\",\"category\":\"%.64s\",\"severity\":%d}",
            (long long)id, status ? status : "", category ? category : "", severity);
        return n > 0 && (size_t)n < len ? 0 : -ENOMEM;
}

int store_order_event_data(char *buf, size_t len, const struct store_order *o)
{
        char t1[32] = "", t2[32] = "";
        const char *area = o->area_code;
        time_format_jst(o->issued_at, t1, sizeof(t1));
        if (o->lifted_at)
                time_format_jst(o->lifted_at, t2, sizeof(t2));
        int n = snprintf(
            buf, len,
            "{\"order\":%lld,\"level\":%d,\"name_ja\":\"%s\",\"hazard\":\"%s\","
            "\"area_code\":%s%s%s,\"district_id\":%lld,\"issued_at\":\"%s\",\"lifted_at\":"
            "%s%s%s}",
            (long long)o->id, o->level, level_order_name_ja(o->level), o->hazard ? o->hazard : "",
            area ? "\"" : "", area ? area : "null", area ? "\"" : "", (long long)o->district_id, t1,
            t2[0] ? "\"" : "", t2[0] ? t2 : "null", t2[0] ? "\"" : "");
        return n > 0 && (size_t)n < len ? 0 : -ENOMEM;
}

int store_notice_event_data(char *buf, size_t len, int64_t id, const char *category, bool withdrawn)
{
        int n = snprintf(buf, len, "{\"notice\":%lld,\"category\":\"%s\"%s}", (long long)id,
                         category ? category : "", withdrawn ? ",\"withdrawn\":true" : "");
        return n > 0 && (size_t)n < len ? 0 : -ENOMEM;
}

bool store_event_text_valid(const char *s)
{
        /* Written into an event's JSON as it is: no quote, no backslash. */
        return s && !strpbrk(s, "\"\\");
}

int store_drill_areas_each(const char *areas, bool is_public,
                           int (*fn)(void *ctx, const char *code, const char *subject,
                                     const char *data),
                           void *ctx)
{
        int rc = 0;
        /* A comma-separated list of codes; an empty piece is skipped. */
        for (const char *p = areas; rc == 0 && *p;) {
                size_t n = strcspn(p, ",");
                char code[33], subject[64], data[96];
                if (n >= sizeof(code))
                        return -EINVAL;
                if (n > 0) {
                        memcpy(code, p, n);
                        code[n] = '\0';
                        snprintf(subject, sizeof(subject), "areas/%s", code);
                        snprintf(data, sizeof(data), "{\"drill\":\"started\",\"public\":%s}",
                                 is_public ? "true" : "false");
                        rc = fn(ctx, code, subject, data);
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        return rc;
}

int store_drill_removed_data(char *subject, size_t subject_len, char *data, size_t data_len,
                             const char *prefix, const char *key)
{
        snprintf(subject, subject_len, "%s%s", prefix, key ? key : "");
        int n = snprintf(data, data_len, "{\"removed\":\"drill\",\"key\":\"%s\"}", key ? key : "");
        return n > 0 && (size_t)n < data_len ? 0 : -ENOMEM;
}

/* A drill's own stations, the same SQL on every backend. */
#define DRILL_STATIONS "(SELECT id FROM stations WHERE exercise = 1)"

struct drill_texts_ctx {
        const struct store_drill_clear_ops *ops;
        void *ctx;
        struct store_exercise_removed *out;
};

static int drill_file(void *ctx_, const char *path)
{
        struct drill_texts_ctx *c = ctx_;
        struct store_exercise_removed *out = c->out;
        /* Capacity doubles from 16: n_files is 0, 16, 32, ... when full. */
        if (out->n_files == 0 || (out->n_files >= 16 && !(out->n_files & (out->n_files - 1)))) {
                size_t nc = out->n_files ? out->n_files * 2 : 16;
                char **nv = realloc(out->files, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                out->files = nv;
        }
        char *p = strdup(path ? path : "");
        if (!p)
                return -ENOMEM;
        out->files[out->n_files++] = p;
        return 0;
}

static int drill_station_removed(void *ctx_, const char *id)
{
        struct drill_texts_ctx *c = ctx_;
        char subject[64], data[128];
        int rc =
            store_drill_removed_data(subject, sizeof(subject), data, sizeof(data), "stations/", id);
        return rc < 0 ? rc : c->ops->event(c->ctx, "station.state", subject, data);
}

int store_drill_stations_clear(const struct store_drill_clear_ops *ops, void *ctx,
                               struct store_exercise_removed *out)
{
        struct drill_texts_ctx c = {ops, ctx, out};
        int rc =
            ops->count(ctx, "SELECT count(*) FROM observations WHERE station_id IN " DRILL_STATIONS,
                       &out->observations);
        if (rc == 0)
                rc = ops->count(
                    ctx, "SELECT count(*) FROM camera_images WHERE station_id IN " DRILL_STATIONS,
                    &out->images);
        if (rc == 0)
                rc = ops->texts(ctx,
                                "SELECT path FROM camera_images WHERE station_id IN " DRILL_STATIONS
                                " UNION ALL SELECT thumb_path FROM camera_images WHERE "
                                "thumb_path IS NOT NULL AND station_id IN " DRILL_STATIONS,
                                drill_file, &c);
        /* Their events go but those a delivery record holds. */
        if (rc == 0)
                rc = ops->run(ctx,
                              "DELETE FROM events WHERE exercise = 1 AND subject IN (SELECT "
                              "'stations/' || id FROM stations WHERE exercise = 1) AND id NOT IN "
                              "(SELECT event_id FROM notify_queue)",
                              NULL);
        if (rc == 0)
                rc = ops->texts(
                    ctx, "SELECT CAST(id AS TEXT) FROM stations WHERE exercise = 1 ORDER BY id",
                    drill_station_removed, &c);
        /* The drill's sources' health rows go too: the sources end with
         * the drill and must not linger on the staff's source list. */
        if (rc == 0)
                rc = ops->run(ctx, "DELETE FROM source_status WHERE " STORE_DRILL_SOURCE_SQL, NULL);
        if (rc == 0)
                rc = ops->run(ctx, "DELETE FROM stations WHERE exercise = 1", &out->stations);
        return rc;
}

int store_audit_object_range(const char *object, const char **exact, char lo[300], char hi[300])
{
        /* An entity with a ':' is one object; without, a kind: the object
         * itself ("timeline") and every "kind:…", read as a range on the
         * object index (':' + 1 is ';'), so no pattern is built from the
         * request. */
        *exact = NULL;
        lo[0] = hi[0] = '\0';
        if (object && strchr(object, ':')) {
                *exact = object;
        } else if (object) {
                if (strlen(object) > 256)
                        return -EINVAL;
                snprintf(lo, 300, "%s:", object);
                snprintf(hi, 300, "%s;", object);
        }
        return 0;
}
