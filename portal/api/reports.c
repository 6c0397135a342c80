/* Field reports (被害・状況報告) registered on the map by staff.
 *
 * POST /api/v1/reports (editor) creates one, status new; POST
 * /api/v1/reports/{id} changes status (new → confirmed → handled) and
 * publication; POST /api/v1/reports/{id}/photos adds a photo (raw JPEG or
 * PNG body, at most 3), re-encoded without metadata (photo.h) and stored
 * under [data] dir/reports/ with a generated name — outside the web root.
 * GET /api/v1/reports lists everything for staff; GET
 * /api/v1/reports/public lists published ones with the location rounded
 * to 0.01° and no photos. */
#include "api.h"
#include "auth.h"
#include "photo.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_MAX 2000

static const char *const statuses[] = {"new", "confirmed", "handled"};

static int status_rank(const char *s)
{
        for (int i = 0; s && i < 3; i++)
                if (strcmp(s, statuses[i]) == 0)
                        return i;
        return -1;
}

static json_t *report_json(const struct store_report *r, bool public_view)
{
        char at[40];
        time_format_jst(r->updated_at, at, sizeof(at));
        double lon = r->lon, lat = r->lat;
        if (public_view) {
                lon = round(lon * 100) / 100;
                lat = round(lat * 100) / 100;
        }
        json_t *v = json_pack("{s:I, s:f, s:f, s:s, s:i, s:s, s:s, s:b, s:b, s:s}", "id",
                              (json_int_t)r->id, "lon", lon, "lat", lat, "category", r->category,
                              "severity", r->severity, "text", r->text, "status", r->status,
                              "public", r->is_public, "exercise", r->exercise, "updated_at", at);
        if (v && !public_view) {
                json_t *ph = json_array();
                for (size_t i = 0; i < r->n_photos; i++)
                        json_array_append_new(ph, json_integer((json_int_t)i + 1));
                json_object_set_new(v, "photos", ph);
        }
        return v;
}

static int find(struct store *st, int64_t id, struct store_report_list *l, size_t *at)
{
        int rc = store_reports_list(st, false, LIST_MAX, l);
        for (size_t i = 0; rc == 0 && i < l->n; i++)
                if (l->v[i].id == id) {
                        *at = i;
                        return 0;
                }
        return rc < 0 ? rc : -ENOENT;
}

static long long path_id(struct portal_req *req)
{
        char *end = NULL;
        long long id = strtoll(portal_req_path_param(req, "id"), &end, 10);
        return end && !*end && id > 0 ? id : -1;
}

static int create(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w) || req_json_object(req, resp, &body))
                return 0;
        bool bad = false;
        struct store_report r = {0};
        json_t *lon = json_object_get(body, "lon"), *lat = json_object_get(body, "lat");
        json_t *sev = json_object_get(body, "severity");
        r.category = jstr(body, "category", 64, &bad);
        r.text = jstr(body, "text", 4000, &bad);
        r.exercise = json_is_true(json_object_get(body, "exercise"));
        r.lon = json_number_value(lon);
        r.lat = json_number_value(lat);
        r.severity = json_is_integer(sev) ? (int)json_integer_value(sev) : 0;
        r.status = "new";
        r.user_id = w.user_id;
        if (bad || !json_is_number(lon) || !json_is_number(lat) || r.lon < 122 || r.lon > 154 ||
            r.lat < 20 || r.lat > 46 || r.severity < 1 || r.severity > 3 || !r.category ||
            !r.category[0]) {
                json_decref(body);
                return portal_resp_error(resp, 400,
                                         "lon, lat (in Japan), category, severity 1-3, text");
        }
        if (!r.text)
                r.text = "";
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        int64_t id = 0;
        int rc = st ? store_report_create(st, &r, &id) : -EAGAIN;
        json_t *after = NULL;
        if (rc == 0) {
                r.id = id;
                r.created_at = r.updated_at = time_now_ms() / 1000;
                after = report_json(&r, false);
                char obj[48];
                snprintf(obj, sizeof(obj), "report:%lld", (long long)id);
                rc = audit_json(st, &w, "report.create", obj, NULL, after);
        }
        portal_store_release_write(app, st);
        json_decref(body);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc < 0) {
                json_decref(after);
                return rc;
        }
        portal_app_wake_streams(app);
        return resp_json(resp, 201, after);
}

static int update(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        json_t *body = NULL;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w) || req_json_object(req, resp, &body))
                return 0;
        long long id = path_id(req);
        bool bad = false;
        const char *status = jstr(body, "status", 16, &bad);
        json_t *pub = json_object_get(body, "public");
        if (id < 0 || bad || (status && status_rank(status) < 0) ||
            (pub && !json_is_boolean(pub))) {
                json_decref(body);
                return portal_resp_error(resp, 400,
                                         "status: new|confirmed|handled; public: boolean");
        }
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        struct store_report_list l = {0};
        size_t at = 0;
        int rc = st ? find(st, id, &l, &at) : -EAGAIN;
        json_t *before = NULL, *after = NULL;
        if (rc == 0 && status && status_rank(status) < status_rank(l.v[at].status))
                rc = -EINVAL; /* new → confirmed → handled, never back */
        if (rc == 0) {
                struct store_report r = l.v[at];
                before = report_json(&r, false);
                if (status)
                        r.status = status;
                if (pub)
                        r.is_public = json_is_true(pub);
                rc = store_report_update(st, id, r.status, r.is_public);
                if (rc == 0) {
                        after = report_json(&r, false);
                        char obj[48];
                        snprintf(obj, sizeof(obj), "report:%lld", id);
                        rc = audit_json(st, &w, "report.update", obj, before, after);
                }
        }
        portal_store_release_write(app, st);
        store_report_list_free(&l);
        json_decref(before);
        json_decref(body);
        if (rc < 0)
                json_decref(after);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such report");
        if (rc == -EINVAL)
                return portal_resp_error(resp, 409, "status goes new → confirmed → handled");
        if (rc < 0)
                return rc;
        portal_app_invalidate(app);
        portal_app_wake_streams(app);
        return resp_json(resp, 200, after);
}

static int add_photo(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_EDITOR, true, &w))
                return 0;
        long long id = path_id(req);
        if (id < 0)
                return portal_resp_error(resp, 400, "id: a report number");
        size_t len = 0;
        const void *body = portal_req_body(req, &len);
        unsigned char *jpg = NULL;
        size_t jlen = 0;
        int rc = photo_clean(body, len, &jpg, &jlen);
        if (rc == -EFBIG)
                return portal_resp_error(resp, 413, "写真が大きすぎます (at most 8 MB, 40 Mpixel)");
        if (rc == -EINVAL)
                return portal_resp_error(resp, 415,
                                         "JPEG または PNG の写真だけです (not a JPEG/PNG image)");
        if (rc < 0)
                return rc;
        unsigned char rnd[16];
        char hex[33], rel[64], path[4200], dir[4200];
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        snprintf(rel, sizeof(rel), "reports/%s.jpg", hex);
        rc = portal_data_path(rel, path, sizeof(path));
        /* [data] dir and its reports/ folder, made on first use. */
        if (rc == 0)
                rc = portal_data_path("", dir, sizeof(dir));
        if (rc == 0 && mkdir(dir, 0750) < 0 && errno != EEXIST)
                rc = -EIO;
        if (rc == 0)
                rc = portal_data_path("reports", dir, sizeof(dir));
        if (rc == 0 && mkdir(dir, 0750) < 0 && errno != EEXIST)
                rc = -EIO;
        struct portal_app *app = portal_req_app(req);
        struct store *st = NULL;
        struct store_report_list l = {0};
        size_t at = 0;
        if (rc == 0) {
                st = portal_store_acquire_write(app);
                rc = st ? find(st, id, &l, &at) : -EAGAIN;
        }
        if (rc == 0 && l.v[at].n_photos >= 3)
                rc = -ENOSPC;
        bool written = false;
        if (rc == 0) {
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
                if (fd < 0 || write(fd, jpg, jlen) != (ssize_t)jlen || fsync(fd) < 0)
                        rc = -EIO;
                if (fd >= 0)
                        close(fd);
                written = true;
        }
        if (rc == 0)
                rc = store_report_add_photo(st, id, rel, "image/jpeg", (int64_t)jlen);
        if (rc == 0) {
                char obj[48];
                snprintf(obj, sizeof(obj), "report:%lld", id);
                json_t *after = json_pack("{s:s, s:I}", "photo", rel, "bytes", (json_int_t)jlen);
                rc = audit_json(st, &w, "report.photo", obj, NULL, after);
                json_decref(after);
        }
        if (rc < 0 && written)
                unlink(path);
        if (st)
                portal_store_release_write(app, st);
        store_report_list_free(&l);
        free(jpg);
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such report");
        if (rc == -ENOSPC || rc == -EINVAL)
                return portal_resp_error(resp, 409,
                                         "写真は1件につき3枚までです (at most 3 photos)");
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc < 0)
                return rc;
        return resp_json(
            resp, 201,
            json_pack("{s:I, s:I}", "report", (json_int_t)id, "bytes", (json_int_t)jlen));
}

static int get_photo(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_VIEWER, false, &w))
                return 0;
        long long id = path_id(req);
        char *end = NULL;
        long n = strtol(portal_req_path_param(req, "n"), &end, 10);
        if (id < 0 || !end || *end || n < 1 || n > 3)
                return portal_resp_error(resp, 400, "photo 1-3 of a report");
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_report_list l = {0};
        size_t at = 0;
        int rc = find(st, id, &l, &at);
        portal_store_release(app, st);
        char path[4200];
        if (rc == 0 && (size_t)n > l.v[at].n_photos)
                rc = -ENOENT;
        if (rc == 0)
                rc = portal_data_path(l.v[at].photo_paths[n - 1], path, sizeof(path));
        store_report_list_free(&l);
        FILE *f = rc == 0 ? fopen(path, "rb") : NULL;
        if (rc == 0 && !f)
                rc = -ENOENT;
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "no such photo");
        if (rc < 0)
                return rc;
        char chunk[65536];
        size_t got;
        while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                rc = buf_append(&resp->body, chunk, got);
        fclose(f);
        if (rc < 0)
                return rc;
        resp->content_type = "image/jpeg";
        return 0;
}

static int list_common(struct portal_req *req, struct portal_resp *resp, bool public_view)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_report_list l = {0};
        int rc = store_reports_list(st, public_view, LIST_MAX, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++)
                json_array_append_new(arr, report_json(&l.v[i], public_view));
        store_report_list_free(&l);
        return resp_json(resp, 200, json_pack("{s:o}", "reports", arr));
}

static int list_staff(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_DISPLAY, false, &w))
                return 0;
        return list_common(req, resp, false);
}

static int list_public(struct portal_req *req, struct portal_resp *resp)
{
        return list_common(req, resp, true);
}

const struct portal_route api_reports_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/reports/public",
     .name = "reports_public",
     .handler = list_public,
     .flags = ROUTE_PUBLIC,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "Published field reports: location rounded to 0.01°, no photos."},
    {.method = "GET",
     .pattern = "/api/v1/reports",
     .name = "reports",
     .handler = list_staff,
     .summary = "Every field report, for staff."},
    {.method = "POST",
     .pattern = "/api/v1/reports",
     .name = "reports_create",
     .handler = create,
     .summary = "Registers a field report (editor): lon, lat, category, severity, text."},
    {.method = "POST",
     .pattern = "/api/v1/reports/{id}",
     .name = "reports_update",
     .handler = update,
     .summary = "Changes a report's status (new → confirmed → handled) and publication."},
    {.method = "POST",
     .pattern = "/api/v1/reports/{id}/photos",
     .name = "reports_photo_add",
     .handler = add_photo,
     .summary = "Adds a JPEG/PNG photo (raw body; at most 3, re-encoded without metadata)."},
    {.method = "GET",
     .pattern = "/api/v1/reports/{id}/photos/{n}",
     .name = "reports_photo",
     .handler = get_photo,
     .summary = "A report's photo, for staff."},
    {0},
};
