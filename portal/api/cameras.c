/* The river cameras.
 *
 *   GET /api/v1/cameras                         GeoJSON: state (ok|stale|
 *       frozen|unknown), `frozen`, the newest image and the linked gauge
 *   GET /api/v1/cameras/{id}/latest.jpg         the newest picture
 *   GET /api/v1/cameras/{id}/thumb.jpg          its thumbnail
 *   GET /api/v1/cameras/{id}/images?from&to     the kept pictures (JSON)
 *   GET /api/v1/cameras/{id}/images/{N}.jpg     one of them ({N}_t.jpg: its
 *       thumbnail)
 *
 * The files are where the camera collector wrote them, under [data] dir
 * (the store holds their relative paths); a path that leaves [data] dir
 * (absolute, "..", or a symlink pointing out) is never opened. */
#include "api.h"
#include "auth.h"
#include "http.h"
#include "json.h"
#include "portal.h"
#include "stationjson.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest picture served (the collector's pictures are far smaller). */
#define CAMERA_FILE_MAX  (32 * 1024 * 1024)
#define HISTORY_DEFAULT  (24 * 3600)
#define HISTORY_MAX_SPAN (31 * 24 * 3600)
#define HISTORY_MAX_ROWS 1000

static void camera_feature(struct json_writer *w, struct store *st, const struct store_latest *c)
{
        const char *state = "unknown";
        int64_t gauge = 0;
        struct store_camera_image_list il = {0};
        if (store_camera_get_state(st, c->id, &state) < 0)
                state = "unknown";
        if (store_camera_gauge(st, c->id, &gauge) < 0)
                gauge = 0;
        if (store_camera_images_list(st, c->id, 0, INT64_MAX, 1, &il) < 0)
                il.n = 0;
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Feature");
        json_key(w, "id");
        json_int(w, c->id);
        json_key(w, "geometry");
        json_obj_begin(w);
        json_key(w, "type");
        json_str(w, "Point");
        json_key(w, "coordinates");
        json_arr_begin(w);
        json_double(w, c->lon);
        json_double(w, c->lat);
        json_arr_end(w);
        json_obj_end(w);
        json_key(w, "properties");
        json_obj_begin(w);
        json_key(w, "name");
        json_str(w, c->name);
        json_key(w, "source");
        json_str(w, c->source);
        json_key(w, "exercise");
        json_bool(w, c->exercise);
        json_key(w, "state");
        json_str(w, state);
        json_key(w, "frozen");
        json_bool(w, strcmp(state, "frozen") == 0);
        json_key(w, "gauge_id");
        if (gauge > 0)
                json_int(w, gauge);
        else
                json_null_value(w);
        json_key(w, "latest");
        if (il.n > 0) {
                char when[40];
                time_format_jst(il.v[0].captured_at, when, sizeof(when));
                json_obj_begin(w);
                json_key(w, "captured_at");
                json_str(w, when);
                json_key(w, "width");
                json_int(w, il.v[0].width);
                json_key(w, "height");
                json_int(w, il.v[0].height);
                json_key(w, "sha256");
                json_str(w, il.v[0].sha256);
                json_obj_end(w);
        } else {
                json_null_value(w);
        }
        json_obj_end(w);
        json_obj_end(w);
        store_camera_image_list_free(&il);
}

static int cameras(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_latest_list l = {0};
        int rc = store_latest_all(st, time_now_ms() / 1000, &l);
        if (rc < 0) {
                portal_store_release(app, st);
                return rc;
        }
        struct json_writer w;
        resp->content_type = "application/geo+json";
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "type");
        json_str(&w, "FeatureCollection");
        json_key(&w, "features");
        json_arr_begin(&w);
        int view = portal_app_public_view(app);
        for (size_t i = 0; i < l.n; i++)
                if (strcmp(l.v[i].kind, "camera") == 0 && store_latest_visible(&l.v[i], view))
                        camera_feature(&w, st, &l.v[i]);
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土交通省 (川の防災情報)");
        json_obj_end(&w);
        portal_store_release(app, st);
        store_latest_list_free(&l);
        return json_error(&w);
}

static bool parse_id(const char *s, int64_t *out)
{
        char *end = NULL;
        if (!s || *s < '1' || *s > '9' || strlen(s) > 18)
                return false;
        long long v = strtoll(s, &end, 10);
        if (!end || *end)
                return false;
        *out = v;
        return true;
}

/* Reads [data] dir/rel into body: 0, -ENOENT (missing, or outside
 * [data] dir), -EFBIG, -EIO. */
static int read_data_file(const char *rel, struct buf *body)
{
        if (!rel || !rel[0] || rel[0] == '/' || strstr(rel, "..") || strchr(rel, '\\'))
                return -ENOENT;
        char path[PATH_MAX], root[PATH_MAX];
        if (portal_data_path(rel, path, sizeof(path)) < 0 ||
            portal_data_path(".", root, sizeof(root)) < 0)
                return -ENOENT;
        char *real = realpath(path, NULL), *rroot = realpath(root, NULL);
        size_t rl = rroot ? strlen(rroot) : 0;
        bool inside = real && rl && strncmp(real, rroot, rl) == 0 && real[rl] == '/';
        int fd = inside ? open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        free(real);
        free(rroot);
        if (fd < 0)
                return -ENOENT;
        struct stat st;
        int rc = 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                rc = -ENOENT;
        else if (st.st_size > CAMERA_FILE_MAX)
                rc = -EFBIG;
        char chunk[65536];
        while (rc == 0) {
                ssize_t got = read(fd, chunk, sizeof(chunk));
                if (got < 0)
                        rc = -EIO;
                if (got <= 0)
                        break;
                rc = buf_append(body, chunk, (size_t)got) < 0 ? -EFBIG : 0;
        }
        close(fd);
        return rc;
}

/* Answers one picture of the camera: the image's main file or its
 * thumbnail.  Errors are 404 and never kept by caches. */
static int send_image(struct portal_resp *resp, const struct store_camera_image *img, bool thumb)
{
        int rc = read_data_file(thumb ? img->thumb_path : img->path, &resp->body);
        if (rc < 0) {
                buf_reset(&resp->body);
                resp->no_cache = true;
                return portal_resp_error(resp, rc == -EFBIG ? 500 : 404,
                                         rc == -EFBIG ? "picture too large"
                                                      : "画像がありません (no such picture)");
        }
        resp->content_type = "image/jpeg";
        return 0;
}

static int camera_of(struct portal_req *req, struct portal_resp *resp, struct store *st,
                     int64_t *id)
{
        struct store_latest_list l = {0};
        if (!parse_id(portal_req_path_param(req, "id"), id) ||
            store_latest_get(st, *id, time_now_ms() / 1000, &l) < 0 || l.n != 1 ||
            strcmp(l.v[0].kind, "camera") != 0 ||
            !store_latest_visible(&l.v[0], portal_app_public_view(portal_req_app(req)))) {
                store_latest_list_free(&l);
                resp->no_cache = true;
                portal_resp_error(resp, 404, "カメラがありません (no such camera)");
                return -1;
        }
        store_latest_list_free(&l);
        return 0;
}

/* Answers a picture of the camera: image_id's, or the newest when 0. */
static int picture(struct portal_req *req, struct portal_resp *resp, int64_t image_id, bool thumb)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        int64_t id;
        struct store_camera_image_list il = {0};
        int rc = 0;
        if (camera_of(req, resp, st, &id) == 0) {
                rc = image_id ? store_camera_image_get(st, id, image_id, &il)
                              : store_camera_images_list(st, id, 0, INT64_MAX, 1, &il);
                if (rc == -ENOENT || (rc == 0 && il.n == 0)) {
                        resp->no_cache = true;
                        rc = portal_resp_error(resp, 404, "画像がありません (no such picture)");
                } else if (rc == 0) {
                        rc = send_image(resp, &il.v[0], thumb);
                }
        }
        portal_store_release(app, st);
        store_camera_image_list_free(&il);
        return rc;
}

static int latest_jpg(struct portal_req *req, struct portal_resp *resp)
{
        return picture(req, resp, 0, false);
}

static int thumb_jpg(struct portal_req *req, struct portal_resp *resp)
{
        return picture(req, resp, 0, true);
}

static int image_jpg(struct portal_req *req, struct portal_resp *resp)
{
        /* "{N}.jpg" or "{N}_t.jpg": the segment is checked as a path id
         * ([A-Za-z0-9_.:-]) before this runs. */
        const char *seg = portal_req_path_param(req, "image");
        char num[24];
        bool thumb = false;
        size_t sl = seg ? strlen(seg) : 0;
        if (sl > 6 && strcmp(seg + sl - 6, "_t.jpg") == 0)
                thumb = true, sl -= 6;
        else if (sl > 4 && strcmp(seg + sl - 4, ".jpg") == 0)
                sl -= 4;
        else
                sl = 0;
        int64_t image_id = 0;
        if (sl > 0 && sl < sizeof(num)) {
                memcpy(num, seg, sl);
                num[sl] = 0;
        }
        if (sl == 0 || sl >= sizeof(num) || !parse_id(num, &image_id)) {
                resp->no_cache = true;
                return portal_resp_error(resp, 404, "画像がありません (no such picture)");
        }
        return picture(req, resp, image_id, thumb);
}

static int images(struct portal_req *req, struct portal_resp *resp)
{
        int64_t from, to;
        char why[96];
        if (http_time_range(portal_req_query(req, "from"), portal_req_query(req, "to"),
                            time_now_ms() / 1000, HISTORY_DEFAULT, HISTORY_MAX_SPAN, &from, &to,
                            why, sizeof(why)) < 0)
                return portal_resp_error(resp, 400, why);
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        int64_t id;
        struct store_camera_image_list il = {0};
        if (camera_of(req, resp, st, &id) < 0) {
                portal_store_release(app, st);
                return 0;
        }
        int rc = store_camera_images_list(st, id, from, to, HISTORY_MAX_ROWS, &il);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "camera");
        json_int(&w, id);
        json_key(&w, "from");
        json_time_jst(&w, from);
        json_key(&w, "to");
        json_time_jst(&w, to);
        json_key(&w, "images");
        json_arr_begin(&w);
        for (size_t i = 0; i < il.n; i++) {
                const struct store_camera_image *im = &il.v[i];
                char url[96];
                json_obj_begin(&w);
                json_key(&w, "id");
                json_int(&w, im->id);
                json_key(&w, "captured_at");
                json_time_jst(&w, im->captured_at);
                json_key(&w, "width");
                json_int(&w, im->width);
                json_key(&w, "height");
                json_int(&w, im->height);
                json_key(&w, "bytes");
                json_int(&w, im->bytes);
                json_key(&w, "sha256");
                json_str(&w, im->sha256);
                snprintf(url, sizeof(url), "/api/v1/cameras/%lld/images/%lld.jpg", (long long)id,
                         (long long)im->id);
                json_key(&w, "url");
                json_str(&w, url);
                json_key(&w, "thumb_url");
                if (im->thumb_path) {
                        snprintf(url, sizeof(url), "/api/v1/cameras/%lld/images/%lld_t.jpg",
                                 (long long)id, (long long)im->id);
                        json_str(&w, url);
                } else {
                        json_null_value(&w);
                }
                json_obj_end(&w);
        }
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土交通省 (川の防災情報)");
        json_obj_end(&w);
        store_camera_image_list_free(&il);
        return json_error(&w);
}

const struct portal_route api_cameras_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/cameras",
     .name = "cameras",
     .handler = cameras,
     .flags = ROUTE_PUBLIC,
     .max_age = 30,
     .cache_ms = 2000,
     .summary = "River cameras with state, frozen flag and newest image (GeoJSON)."},
    {.method = "GET",
     .pattern = "/api/v1/cameras/{id}/latest.jpg",
     .name = "camera_latest",
     .handler = latest_jpg,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 2000,
     .summary = "The camera's newest picture (JPEG)."},
    {.method = "GET",
     .pattern = "/api/v1/cameras/{id}/thumb.jpg",
     .name = "camera_thumb",
     .handler = thumb_jpg,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 2000,
     .summary = "The thumbnail of the camera's newest picture (JPEG)."},
    {.method = "GET",
     .pattern = "/api/v1/cameras/{id}/images",
     .name = "camera_images",
     .handler = images,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 5000,
     .summary = "The camera's kept pictures between from and to, newest first (JSON).",
     .params =
         {
             {"from", PARAM_DATETIME, 0, 0, NULL, 40, "start (RFC 3339), default to - 24 h"},
             {"to", PARAM_DATETIME, 0, 0, NULL, 40, "end, exclusive (RFC 3339), default now"},
         }},
    {.method = "GET",
     .pattern = "/api/v1/cameras/{id}/images/{image}",
     .name = "camera_image",
     .handler = image_jpg,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 86400,
     .cache_ms = 60000,
     .summary = "One kept picture, {image_id}.jpg, or its thumbnail {image_id}_t.jpg (JPEG)."},
    {0},
};
