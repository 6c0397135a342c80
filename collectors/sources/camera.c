/* camera: one river camera's still pictures, fetched on the instance's
 * schedule, checked by decoding, kept on disk under [data] dir with their
 * metadata in the store, and watched for stale and frozen pictures.
 *
 * One [source.NAME] section is one camera, so each camera has its own
 * worker thread and HTTP handle: a slow or hanging camera only ever delays
 * itself.  The camera is described by a 川の防災情報 camera master
 * (`url`, obs/scam/{id}.json) or by keys in the section (name, lat, lon,
 * image_url); keys in the section win over the master.
 *
 * Files: cameras/{station id}/{UTC stamp}.jpg and {stamp}_t.jpg (the
 * thumbnail), relative to [data] dir, as the store's paths are.  A file
 * is written to a temporary name and renamed, so a reader never sees half
 * a picture. */
#include "camera.h"
#include "camera_jpeg.h"
#include "source.h"

#include "jsonutil.h"
#include "log.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct camera_conf {
        char *image_url;
        char *id;
        char *name;
        char *river;
        double lat, lon;
        char *gauge;
        char *gauge_source;
        int64_t master_interval;
        int64_t stale_after;
        int64_t frozen_after;
        int64_t thumb_width;
        int64_t max_pixels;
        int64_t history_max_age;
        int64_t history_max_bytes;
};

#define O(k, t, f, d, lo, hi, doc)                                                                 \
        {                                                                                          \
                k, t, offsetof(struct camera_conf, f), d, lo, hi, NULL, false, doc                 \
        }

static const struct conf_option camera_options[] = {
    O("image_url", CONF_STRING, image_url, "", 0, 0,
      "The still JPEG; default the master's currProvUrl."),
    O("id", CONF_STRING, id, "", 0, 0, "The camera's id; default the master's sysCamId."),
    O("name", CONF_STRING, name, "", 0, 0, "Name shown to staff; default the master's name."),
    O("river", CONF_STRING, river, "", 0, 0, "River name; default the master's rvrNm."),
    O("lat", CONF_DOUBLE, lat, NULL, 20, 46, "Latitude (JGD2011); default the master's lat."),
    O("lon", CONF_DOUBLE, lon, NULL, 122, 154, "Longitude (JGD2011); default the master's lon."),
    O("gauge", CONF_STRING, gauge, "", 0, 0,
      "Linked gauge as SOURCE:ID (a [source.NAME] and the gauge's id there)."),
    O("gauge_source", CONF_STRING, gauge_source, "", 0, 0,
      "The [source.NAME] holding the master's linked gauge (obsFcd)."),
    O("master_interval", CONF_INT, master_interval, "86400", 60, 604800,
      "Seconds between two fetches of the camera master."),
    O("stale_after", CONF_INT, stale_after, "0", 0, 604800,
      "Seconds without a new picture before the camera is stale; 0: interval x 3."),
    O("frozen_after", CONF_INT, frozen_after, "3600", 0, 604800,
      "Seconds of an unchanged picture before the camera is frozen; 0: never."),
    O("thumb_width", CONF_INT, thumb_width, "320", 16, 1024, "Thumbnail width in pixels."),
    O("max_pixels", CONF_INT, max_pixels, "33177600", 1024, 268435456,
      "Largest picture accepted, in pixels (width x height)."),
    O("history_max_age", CONF_INT, history_max_age, "604800", 1, 31622400,
      "Seconds a picture is kept on disk."),
    O("history_max_bytes", CONF_INT, history_max_bytes, "1073741824", 1024, 1099511627776,
      "Largest total size of the camera's pictures and thumbnails on disk."),
    {0},
};

struct camera {
        struct camera_conf conf;
        struct camera_info info; /* merged master and config */
        bool have_info;          /* info complete enough to fetch */
        int64_t master_at;       /* last master fetch, 0: never */
        char gauge_source[65], gauge_id[129];
        int64_t station_id; /* 0 until written */
        bool station_done;  /* station and gauge link written */
        bool restored;      /* last image read back from the store */
        char last_sha[65];  /* of the newest accepted picture */
        int64_t last_captured;
        int64_t last_change_at; /* 0: never a picture */
        int64_t last_answer_at;
        char data_dir[1024];
        struct log_complain master_log; /* refreshes of a known master that fail */
};

static void copy(char *dst, size_t len, const char *src)
{
        snprintf(dst, len, "%s", src ? src : "");
}

/* ---- The master ------------------------------------------------------- */

int camera_master_parse(const char *body, size_t len, struct camera_info *out, char *why,
                        size_t why_len)
{
        memset(out, 0, sizeof(*out));
        out->lat = out->lon = NAN;
        char err[128];
        json_t *root = json_load_capped(body, len, err, sizeof(err));
        if (!root) {
                snprintf(why, why_len, "not JSON: %s", err);
                return -EBADMSG;
        }
        int rc = -EBADMSG;
        json_t *o = json_object_get(root, "obsInfo");
        if (!json_is_object(o)) {
                snprintf(why, why_len, "no obsInfo object: not a camera master");
                goto out;
        }
        char nb[64];
        const char *t = json_text(json_object_get(o, "sysCamId"), nb, sizeof(nb));
        copy(out->id, sizeof(out->id), t);
        t = json_text(json_object_get(o, "name"), nb, sizeof(nb));
        copy(out->name, sizeof(out->name), t);
        t = json_text(json_object_get(o, "rvrNm"), nb, sizeof(nb));
        copy(out->river, sizeof(out->river), t);
        t = json_text(json_object_get(o, "obsFcd"), nb, sizeof(nb));
        copy(out->gauge_id, sizeof(out->gauge_id), t);
        out->lat = json_num(json_object_get(o, "lat"));
        out->lon = json_num(json_object_get(o, "lon"));
        /* The current picture first; the others are the same camera's
         * older or fallback names for it. */
        static const char *const urls[] = {"currProvUrl", "currentUrl", "normProvUrl",
                                           "normallyUrl"};
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]) && !out->image_url[0]; i++) {
                const json_t *u = json_object_get(o, urls[i]);
                if (json_is_string(u))
                        copy(out->image_url, sizeof(out->image_url), json_string_value(u));
        }
        if (!out->id[0])
                snprintf(why, why_len, "camera master without sysCamId");
        else if (!out->name[0])
                snprintf(why, why_len, "camera master without name");
        else if (!isfinite(out->lat) || !isfinite(out->lon))
                snprintf(why, why_len, "camera master without lat/lon");
        else if (!out->image_url[0])
                snprintf(why, why_len, "camera master without a still URL");
        else
                rc = 0;
out:
        json_decref(root);
        return rc;
}

/* ---- State and retention ---------------------------------------------- */

const char *camera_state_decide(int64_t now, int64_t last_change_at, int64_t last_answer_at,
                                int64_t stale_after, int64_t frozen_after)
{
        if (last_change_at <= 0)
                return "unknown";
        /* Frozen is seen, not supposed: the camera has been answering with
         * the same picture over frozen_after, and still answers. */
        if (frozen_after > 0 && last_answer_at - last_change_at >= frozen_after &&
            now - last_answer_at < stale_after)
                return "frozen";
        if (now - last_change_at >= stale_after)
                return "stale";
        return "ok";
}

size_t camera_retention_cut(const int64_t *captured_at, const int64_t *size, size_t n, int64_t now,
                            int64_t max_age, int64_t max_bytes)
{
        int64_t total = 0;
        for (size_t i = 0; i < n; i++) {
                total += size[i];
                if (i > 0 && (now - captured_at[i] > max_age || total > max_bytes))
                        return i;
        }
        return n;
}

/* ---- Configuration ----------------------------------------------------- */

/* Merges the section's keys over the master's (m may be NULL). */
static void merge_info(struct camera *c, const struct camera_info *m, const char *instance)
{
        struct camera_info *i = &c->info;
        if (m)
                *i = *m;
        else {
                memset(i, 0, sizeof(*i));
                i->lat = i->lon = NAN;
        }
        const struct camera_conf *k = &c->conf;
        if (k->id[0])
                copy(i->id, sizeof(i->id), k->id);
        if (!i->id[0])
                copy(i->id, sizeof(i->id), instance);
        if (k->name[0])
                copy(i->name, sizeof(i->name), k->name);
        if (k->river[0])
                copy(i->river, sizeof(i->river), k->river);
        if (isfinite(k->lat))
                i->lat = k->lat;
        if (isfinite(k->lon))
                i->lon = k->lon;
        if (k->image_url[0])
                copy(i->image_url, sizeof(i->image_url), k->image_url);
        c->gauge_source[0] = c->gauge_id[0] = '\0';
        const char *colon = strchr(k->gauge, ':');
        if (colon) {
                snprintf(c->gauge_source, sizeof(c->gauge_source), "%.*s", (int)(colon - k->gauge),
                         k->gauge);
                copy(c->gauge_id, sizeof(c->gauge_id), colon + 1);
        } else if (k->gauge_source[0] && i->gauge_id[0]) {
                copy(c->gauge_source, sizeof(c->gauge_source), k->gauge_source);
                copy(c->gauge_id, sizeof(c->gauge_id), i->gauge_id);
        }
        c->have_info = i->name[0] && isfinite(i->lat) && isfinite(i->lon) && i->image_url[0];
}

static int camera_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                            struct conf_diag *diag, void **state)
{
        struct camera *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *state = c;
        c->master_log = (struct log_complain)LOG_COMPLAIN_INIT;
        if (source_conf_apply(camera_options, &c->conf, in, cfg, diag) < 0)
                return -EINVAL;
        const struct camera_conf *k = &c->conf;
        bool master = in->url && in->url[0];
        if (!master && !k->image_url[0])
                return source_conf_error(in, cfg, diag, "image_url",
                                         "camera needs a master (url) or an image_url");
        if (k->image_url[0] && !fetch_url_allowed(k->image_url))
                return source_conf_error(in, cfg, diag, "image_url",
                                         "must be https:// (http:// only to a loopback host)");
        if (!master && (!k->name[0] || !isfinite(k->lat) || !isfinite(k->lon)))
                return source_conf_error(in, cfg, diag, k->name[0] ? "lat" : "name",
                                         "a camera without a master needs name, lat and lon");
        if (isfinite(k->lat) != isfinite(k->lon))
                return source_conf_error(in, cfg, diag, "lat", "give both lat and lon");
        if (k->gauge[0]) {
                const char *colon = strchr(k->gauge, ':');
                if (!colon || colon == k->gauge || !colon[1] || colon - k->gauge > 64 ||
                    strlen(colon + 1) > 128)
                        return source_conf_error(in, cfg, diag, "gauge",
                                                 "must be SOURCE:ID, e.g. kriver-yamagata:0620300");
        }
        if (strlen(k->gauge_source) > 64)
                return source_conf_error(in, cfg, diag, "gauge_source", "at most 64 bytes");
        if (strlen(k->name) > 256 || strlen(k->river) > 256 || strlen(k->id) > 63)
                return source_conf_error(in, cfg, diag, "name", "name, river or id too long");
        const char *dir = cfg && cfg->data.dir ? cfg->data.dir : "";
        if (!dir[0] || strlen(dir) >= sizeof(c->data_dir) - 200)
                return source_conf_error(in, cfg, diag, NULL, "[data] dir must be set and short");
        copy(c->data_dir, sizeof(c->data_dir), dir);
        if (!master)
                merge_info(c, NULL, in->name);
        return 0;
}

/* ---- Files ------------------------------------------------------------- */

/* mkdir -p of data_dir/rel, [data] dir included. */
static int make_dirs(const char *data_dir, const char *rel)
{
        char p[1400];
        int n = snprintf(p, sizeof(p), "%s/%s", data_dir, rel);
        if (n < 0 || (size_t)n >= sizeof(p))
                return -ENAMETOOLONG;
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == '\0') {
                        char save = *s;
                        *s = '\0';
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = save;
                        if (!save)
                                break;
                }
        }
        return 0;
}

/* Writes data to data_dir/rel through a temporary name. */
static int write_file(const char *data_dir, const char *rel, const void *data, size_t len)
{
        char p[1400], tmp[1420];
        snprintf(p, sizeof(p), "%s/%s", data_dir, rel);
        snprintf(tmp, sizeof(tmp), "%s.tmp", p);
        int rc = 0;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        const unsigned char *b = data;
        while (len > 0) {
                ssize_t w = write(fd, b, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = -errno;
                        break;
                }
                b += w;
                len -= (size_t)w;
        }
        if (close(fd) < 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && rename(tmp, p) < 0)
                rc = -errno;
        if (rc < 0)
                unlink(tmp);
        return rc;
}

static void remove_file(const char *data_dir, const char *rel)
{
        if (!rel || !rel[0])
                return;
        char p[1400];
        snprintf(p, sizeof(p), "%s/%s", data_dir, rel);
        unlink(p);
}

static int64_t file_size(const char *data_dir, const char *rel)
{
        if (!rel || !rel[0])
                return 0;
        char p[1400];
        struct stat sb;
        snprintf(p, sizeof(p), "%s/%s", data_dir, rel);
        return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* ---- Polling ----------------------------------------------------------- */

/* Fetches the master when due.  Returns a poll status for the case where
 * the camera cannot be described; POLL_OK otherwise (a failed refresh of a
 * master already known keeps the old description). */
static enum poll_status refresh_master(struct camera *c, struct source_ctx *ctx, int64_t now,
                                       bool *changed)
{
        const char *url = ctx->in->url;
        if (!url || !url[0] || (c->master_at && now - c->master_at < c->conf.master_interval))
                return POLL_OK;
        struct fetch_result res;
        fetch_result_init(&res);
        enum poll_status ps = POLL_OK;
        int rc = source_fetch(ctx, url, FETCH_CONDITIONAL, &res);
        if (rc < 0) {
                ps = POLL_FAILED;
        } else if (!res.not_modified) {
                struct camera_info m;
                char why[160];
                if (camera_master_parse(res.body.data, res.body.len, &m, why, sizeof(why)) < 0) {
                        fetch_forget(ctx->fetch, url);
                        source_why(ctx, "camera master %s: %s", url, why);
                        ps = POLL_BAD_DATA;
                } else if (!fetch_url_allowed(c->conf.image_url[0] ? c->conf.image_url
                                                                   : m.image_url)) {
                        fetch_forget(ctx->fetch, url);
                        source_why(ctx, "camera master %s: still URL breaks the URL rule", url);
                        ps = POLL_BAD_DATA;
                } else {
                        merge_info(c, &m, ctx->name);
                        *changed = true;
                }
        }
        fetch_result_free(&res);
        if (ps == POLL_OK) {
                c->master_at = now;
                log_recovered(&c->master_log, "%s: camera master read again", ctx->name);
        } else if (c->have_info) {
                /* Keep the description we have; try the master again at the
                 * next poll rather than a day later. */
                log_complain(&c->master_log, LOG_LVL_WARN,
                             "%s: %s; the camera keeps its last description", ctx->name, ctx->why);
                ctx->why[0] = '\0';
                ps = POLL_OK;
        }
        return ps;
}

static int write_station(struct camera *c, struct source_ctx *ctx)
{
        struct store_station s = {
            .kind = "camera",
            .source = ctx->name,
            .external_id = c->info.id,
            .name = c->info.name,
            .river = c->info.river[0] ? c->info.river : NULL,
            .lon = c->info.lon,
            .lat = c->info.lat,
            .thr = {NAN, NAN, NAN, NAN, NAN, NAN},
            .expected_interval_s = ctx->interval_s,
            .exercise = ctx->exercise,
        };
        int rc = store_station_upsert(ctx->store, &s, &c->station_id);
        if (rc == 0)
                rc = store_camera_link_gauge(ctx->store, c->station_id,
                                             c->gauge_source[0] ? c->gauge_source : NULL,
                                             c->gauge_id);
        return rc;
}

/* After a restart: the newest picture stored is the last good one. */
static int restore(struct camera *c, struct source_ctx *ctx)
{
        struct store_camera_image_list l = {0};
        int rc = store_camera_images_list(ctx->store, c->station_id, 0, INT64_MAX, 1, &l);
        if (rc == 0 && l.n > 0) {
                copy(c->last_sha, sizeof(c->last_sha), l.v[0].sha256);
                c->last_captured = l.v[0].captured_at;
                c->last_change_at = l.v[0].fetched_at;
                c->last_answer_at = l.v[0].fetched_at;
        }
        store_camera_image_list_free(&l);
        if (rc == 0)
                c->restored = true;
        return rc;
}

/* Keeps the history within its age and size; the newest picture stays. */
static int prune(struct camera *c, struct source_ctx *ctx, int64_t now)
{
        struct store_camera_image_list l = {0};
        int rc = store_camera_images_list(ctx->store, c->station_id, 0, INT64_MAX, 1000000, &l);
        int64_t *at = NULL, *size = NULL;
        if (rc < 0 || l.n < 2)
                goto out;
        at = calloc(l.n, sizeof(*at));
        size = calloc(l.n, sizeof(*size));
        if (!at || !size) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < l.n; i++) {
                at[i] = l.v[i].captured_at;
                size[i] = l.v[i].bytes + file_size(c->data_dir, l.v[i].thumb_path);
        }
        size_t cut = camera_retention_cut(at, size, l.n, now, c->conf.history_max_age,
                                          c->conf.history_max_bytes);
        if (cut >= l.n)
                goto out;
        struct store_camera_image_list gone = {0};
        rc = store_camera_images_prune(ctx->store, c->station_id, at[cut] + 1, &gone);
        if (rc == 0) {
                for (size_t i = 0; i < gone.n; i++) {
                        remove_file(c->data_dir, gone.v[i].path);
                        remove_file(c->data_dir, gone.v[i].thumb_path);
                }
                log_debug("%s: %zu old pictures removed", ctx->name, gone.n);
        }
        store_camera_image_list_free(&gone);
out:
        free(at);
        free(size);
        store_camera_image_list_free(&l);
        return rc;
}

/* Writes the camera's state and, for the API, the station's: frozen and
 * stale both make the station `stale`, so a camera that stopped updating
 * never passes for a quiet river. */
static int update_state(struct camera *c, struct source_ctx *ctx, int64_t now)
{
        int64_t stale_after = c->conf.stale_after > 0 ? c->conf.stale_after : ctx->interval_s * 3;
        const char *want = camera_state_decide(now, c->last_change_at, c->last_answer_at,
                                               stale_after, c->conf.frozen_after);
        const char *have = NULL;
        int rc = store_camera_get_state(ctx->store, c->station_id, &have);
        if (rc < 0 || strcmp(have, want) == 0)
                return rc;
        rc = store_begin(ctx->store);
        if (rc < 0)
                return rc;
        int r1 = store_camera_set_state(ctx->store, c->station_id, want);
        int r2 = 0;
        if (strcmp(want, "ok") == 0)
                r2 =
                    store_station_set_state(ctx->store, c->station_id, STATE_OK, c->last_change_at);
        else if (strcmp(want, "unknown") != 0)
                r2 = store_station_set_state(ctx->store, c->station_id, STATE_STALE, 0);
        rc = store_commit(ctx->store);
        if (rc == 0)
                rc = r1 < 0 ? r1 : r2;
        if (rc == 0)
                log_info("%s: camera %s -> %s", ctx->name, have, want);
        return rc;
}

/* The time a new picture is recorded under: the server's Last-Modified
 * when it is plausible, else now; always after the previous picture (the
 * store keys pictures by camera and second). */
static int64_t capture_time(const struct camera *c, const struct fetch_result *res, int64_t now)
{
        int64_t t = now, lm;
        if (res->last_modified[0] && time_parse_http(res->last_modified, &lm) == 0 &&
            lm > c->last_captured && lm <= now + 300 && lm > now - 86400)
                t = lm;
        if (t <= c->last_captured)
                t = c->last_captured + 1;
        return t;
}

/* Takes in a decoded new picture: files, then the store row; the files are
 * removed again when the row cannot be written. */
static int accept_picture(struct camera *c, struct source_ctx *ctx, const struct fetch_result *res,
                          const struct cam_jpeg_info *ji, const unsigned char *thumb,
                          size_t thumb_len, int64_t now)
{
        int64_t captured = capture_time(c, res, now);
        char dir[64], stamp[32], path[128], tpath[128];
        struct tm tm;
        time_t tt = (time_t)captured;
        gmtime_r(&tt, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(dir, sizeof(dir), "cameras/%lld", (long long)c->station_id);
        snprintf(path, sizeof(path), "%s/%s.jpg", dir, stamp);
        snprintf(tpath, sizeof(tpath), "%s/%s_t.jpg", dir, stamp);
        int rc = make_dirs(c->data_dir, dir);
        if (rc == 0)
                rc = write_file(c->data_dir, path, res->body.data, res->body.len);
        if (rc == 0)
                rc = write_file(c->data_dir, tpath, thumb, thumb_len);
        if (rc < 0) {
                source_why(ctx, "cannot write %s under [data] dir: %s", path, strerror(-rc));
                goto fail;
        }
        struct store_camera_image img = {
            .station_id = c->station_id,
            .captured_at = captured,
            .fetched_at = now,
            .path = path,
            .thumb_path = tpath,
            .bytes = (int64_t)res->body.len,
            .width = ji->width,
            .height = ji->height,
            .sha256 = res->sha256,
        };
        /* The picture and the station's sign of life in one transaction. */
        rc = store_begin(ctx->store);
        if (rc == 0) {
                int r1 = store_camera_image_add(ctx->store, &img, NULL);
                int r2 = store_station_set_state(ctx->store, c->station_id, STATE_OK, now);
                rc = store_commit(ctx->store);
                if (rc == 0)
                        rc = r1 < 0 ? r1 : r2;
        }
        if (rc < 0) {
                source_why(ctx, "store: %s", store_strerror(rc));
                goto fail;
        }
        copy(c->last_sha, sizeof(c->last_sha), res->sha256);
        c->last_captured = captured;
        c->last_change_at = now;
        c->last_answer_at = now;
        log_info("%s: new picture %dx%d, %zu bytes, thumbnail %dx%d", ctx->name, ji->width,
                 ji->height, res->body.len, ji->thumb_width, ji->thumb_height);
        return 0;
fail:
        remove_file(c->data_dir, path);
        remove_file(c->data_dir, tpath);
        return rc;
}

/* Fetches and judges the still. */
static enum poll_status fetch_still(struct camera *c, struct source_ctx *ctx, int64_t now)
{
        const char *url = c->info.image_url;
        struct fetch_result res;
        fetch_result_init(&res);
        enum poll_status ps = POLL_FAILED;
        unsigned char *thumb = NULL;
        size_t thumb_len = 0;
        int rc = source_fetch(ctx, url, FETCH_CONDITIONAL, &res);
        if (rc < 0)
                goto out;
        if (res.not_modified) {
                c->last_answer_at = c->last_change_at ? now : 0;
                ps = POLL_UNCHANGED;
                goto out;
        }
        struct cam_jpeg_info ji;
        char why[200];
        rc = cam_jpeg_thumbnail((const unsigned char *)res.body.data, res.body.len,
                                (int)c->conf.thumb_width, c->conf.max_pixels, &ji, &thumb,
                                &thumb_len, why, sizeof(why));
        if (rc == -ENOMEM) {
                source_why(ctx, "out of memory decoding %s", url);
                goto out;
        }
        if (rc < 0) {
                /* Refused: the last good picture stays, and the next poll
                 * asks for the whole picture again. */
                fetch_forget(ctx->fetch, url);
                source_why(ctx, "still %s refused (%zu bytes%s%s): %s", url, res.body.len,
                           res.content_type[0] ? ", " : "", res.content_type, why);
                ps = POLL_BAD_DATA;
                goto out;
        }
        if (c->last_sha[0] && strcmp(c->last_sha, res.sha256) == 0) {
                /* The same bytes again: a live answer, not a new picture. */
                c->last_answer_at = now;
                ps = POLL_UNCHANGED;
                goto out;
        }
        if (accept_picture(c, ctx, &res, &ji, thumb, thumb_len, now) == 0) {
                ps = POLL_OK;
        } else {
                /* Not taken in: the next poll must get the picture again,
                 * not a 304. */
                fetch_forget(ctx->fetch, url);
                ps = POLL_FAILED;
        }
out:
        free(thumb);
        fetch_result_free(&res);
        return ps;
}

static enum poll_status camera_poll(void *state, struct source_ctx *ctx)
{
        struct camera *c = state;
        if (!ctx->store) {
                source_why(ctx, "camera needs the store");
                return POLL_FAILED;
        }
        int64_t now = time_now_ms() / 1000;
        bool changed = !c->station_done;
        enum poll_status ps = refresh_master(c, ctx, now, &changed);
        if (ps != POLL_OK)
                return ps;
        if (!c->have_info) {
                source_why(ctx, "camera %s lacks a name, a point or a still URL", ctx->name);
                return POLL_BAD_DATA;
        }
        int rc = 0;
        if (changed) {
                c->station_done = false;
                rc = write_station(c, ctx);
                c->station_done = rc == 0;
        }
        if (rc == 0 && !c->restored)
                rc = restore(c, ctx);
        if (rc < 0) {
                source_why(ctx, "store: %s", store_strerror(rc));
                return POLL_FAILED;
        }
        ps = fetch_still(c, ctx, now);
        /* Whatever the picture did, the state and the history are kept
         * up to date: a camera that fails is exactly the one going stale. */
        char why[sizeof(ctx->why)];
        memcpy(why, ctx->why, sizeof(why));
        rc = update_state(c, ctx, now);
        if (rc == 0)
                rc = prune(c, ctx, now);
        memcpy(ctx->why, why, sizeof(why));
        if (rc < 0 && ps != POLL_FAILED && ps != POLL_BAD_DATA) {
                source_why(ctx, "store: %s", store_strerror(rc));
                ps = POLL_FAILED;
        }
        return ps;
}

static void camera_destroy(void *state)
{
        struct camera *c = state;
        if (!c)
                return;
        conf_table_free(camera_options, &c->conf);
        free(c);
}

const struct source_type source_camera = {
    .name = "camera",
    .summary = "One river camera's still pictures, with history, thumbnails, stale and frozen.",
    .options = camera_options,
    .configure = camera_configure,
    .poll = camera_poll,
    .destroy = camera_destroy,
};
