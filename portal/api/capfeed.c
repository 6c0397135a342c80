/* CAP 1.2: /api/v1/cap.atom (an Atom feed, one CAP message per JMA alert
 * of the last 48 hours and per city order in force or lifted in that time)
 * and /api/v1/cap/{identifier} (one message).
 *
 * JMA alerts: sender jma.go.jp, senderName the office; 取消 → Cancel and
 * 解除 → Update/AllClear, both referencing the earlier message of the same
 * area and kind.  Orders: sender the city; lifting one is an Update with
 * AllClear referencing the order.  試験 never appears; 訓練 (status
 * Exercise) follows each drill's visibility as /api/v1/status does: in the
 * public feed only a running --public drill's, for its areas; in
 * /api/v1/staff/cap.atom (staff, drill mode) every drill's.  Areas carry their JMA code as geocode
 * and, when the area's geometry was imported (`sonae import areas`), its outer rings as polygons,
 * which cap.c simplifies until the feed fits. */
#include "api.h"
#include "auth.h"
#include "cap.h"
#include "level.h"
#include "portal.h"
#include "store.h"
#include "store_city.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_WINDOW_S  (48 * 3600)
#define CAP_MAX_MSGS  400
#define JMA_SENDER    "jma.go.jp"
#define CAP_MAX_GEOMS 64
/* Points read per area: a city boundary has tens of thousands. */
#define CAP_GEOM_MAX_POINTS 400000

/* The outer rings of one area, read once per answer and shared by every
 * message of that area. */
struct capgeom {
        char code[32];
        struct store_area_rings rings;
        struct cap_ring *cr;
        size_t n;
};

struct capset {
        struct cap_message m[CAP_MAX_MSGS];
        struct cap_area areas[CAP_MAX_MSGS];
        struct cap_ref refs[CAP_MAX_MSGS];
        char ids[CAP_MAX_MSGS][64];
        char ref_ids[CAP_MAX_MSGS][64];
        char heads[CAP_MAX_MSGS][256];
        char city_sender[128];
        size_t n;
        struct store_alert_list alerts;
        struct store_order_list orders;
        struct store_area_status_list status;
        char *order_area_names[CAP_MAX_MSGS];
        char *order_descs[CAP_MAX_MSGS]; /* a district order's "鶴岡市 第三学区" */
        struct capgeom geoms[CAP_MAX_GEOMS];
        size_t n_geoms;
};

static void capset_free(struct capset *c)
{
        if (!c)
                return;
        store_alert_list_free(&c->alerts);
        store_order_list_free(&c->orders);
        store_area_status_list_free(&c->status);
        for (size_t i = 0; i < CAP_MAX_MSGS; i++) {
                free(c->order_area_names[i]);
                free(c->order_descs[i]);
        }
        for (size_t i = 0; i < c->n_geoms; i++) {
                store_area_rings_free(&c->geoms[i].rings);
                free(c->geoms[i].cr);
        }
        free(c);
}

static bool alert_counts(struct store *st, int view, const struct store_alert *a,
                         enum cap_status *status)
{
        if (cap_status_from_ja(a->report_status ? a->report_status : "通常", status) < 0)
                return false;
        return *status == CAP_ACTUAL ||
               (*status == CAP_EXERCISE && store_exercise_shown(st, view, a->area_code, 0));
}

/* The message before alert i of the same area, kind and telegram series
 * (Control/Title: the R06 and H27 twins share kind codes, so an R06 解除
 * must reference the R06 warning, not its H27 twin), or -1.  The list is
 * newest first. */
static long previous_of(const struct store_alert_list *l, size_t i)
{
        for (size_t j = i + 1; j < l->n; j++)
                if (strcmp(l->v[j].area_code, l->v[i].area_code) == 0 &&
                    strcmp(l->v[j].kind_code ? l->v[j].kind_code : "",
                           l->v[i].kind_code ? l->v[i].kind_code : "") == 0 &&
                    strcmp(l->v[j].title ? l->v[j].title : "",
                           l->v[i].title ? l->v[i].title : "") == 0)
                        return (long)j;
        return -1;
}

static void add_alerts(struct capset *c, struct store *st, int view)
{
        const struct store_alert_list *l = &c->alerts;
        for (size_t i = 0; i < l->n && c->n < CAP_MAX_MSGS; i++) {
                const struct store_alert *a = &l->v[i];
                enum cap_status status;
                if (!alert_counts(st, view, a, &status))
                        continue;
                size_t k = c->n;
                struct cap_message *m = &c->m[k];
                memset(m, 0, sizeof(*m));
                snprintf(c->ids[k], sizeof(c->ids[k]), "urn:sonae:alert:%lld", (long long)a->id);
                m->identifier = c->ids[k];
                m->sender = JMA_SENDER;
                m->sender_name = a->office;
                m->sent_s = a->report_at;
                m->status = status;
                bool cancel = a->info_type && strcmp(a->info_type, "取消") == 0;
                if (cancel)
                        m->change = CAP_CANCEL;
                else if (cap_change_from_ja(a->status, &m->change) < 0)
                        /* 特別警報から警報 and other transitions are updates. */
                        m->change = CAP_UPDATE;
                long p = previous_of(l, i);
                if (p >= 0) {
                        snprintf(c->ref_ids[k], sizeof(c->ref_ids[k]), "urn:sonae:alert:%lld",
                                 (long long)l->v[p].id);
                        c->refs[k] = (struct cap_ref){JMA_SENDER, c->ref_ids[k], l->v[p].report_at};
                        m->refs = &c->refs[k];
                        m->n_refs = 1;
                }
                if (m->change == CAP_CANCEL && m->n_refs == 0)
                        continue; /* nothing of ours to cancel */
                if (m->change == CAP_NEW && m->n_refs)
                        m->change = CAP_UPDATE;
                m->event = a->kind_name ? a->kind_name : "気象警報・注意報";
                m->category = "Met";
                m->level = a->level;
                snprintf(c->heads[k], sizeof(c->heads[k]), "%sに%s%s%s",
                         a->area_name ? a->area_name : "", m->event,
                         a->status && strcmp(a->status, "発表") != 0 ? " " : "",
                         a->status && strcmp(a->status, "発表") != 0 ? a->status : "");
                m->headline = c->heads[k];
                m->description = a->title;
                m->effective_s = a->report_at;
                m->onset_s = a->valid_from;
                m->expires_s = a->valid_to;
                c->areas[k] = (struct cap_area){a->area_name, a->area_code, NULL, 0};
                m->areas = &c->areas[k];
                m->n_areas = 1;
                c->n++;
        }
}

/* The geometry slot of key ("0620300", or "d:ID" for a district): found,
 * or new and empty; NULL when the table is full. */
static struct capgeom *geom_slot(struct capset *c, const char *key, bool *fresh)
{
        *fresh = false;
        for (size_t i = 0; i < c->n_geoms; i++)
                if (strcmp(c->geoms[i].code, key) == 0)
                        return &c->geoms[i];
        if (c->n_geoms >= CAP_MAX_GEOMS)
                return NULL;
        struct capgeom *g = &c->geoms[c->n_geoms++];
        snprintf(g->code, sizeof(g->code), "%s", key);
        *fresh = true;
        return g;
}

/* Makes the CAP rings of g from its store rings. */
static void geom_fill(struct capgeom *g)
{
        if (!g->rings.n || !(g->cr = calloc(g->rings.n, sizeof(*g->cr))))
                return;
        for (size_t r = 0; r < g->rings.n; r++)
                g->cr[r] = (struct cap_ring){g->rings.v[r].lonlat, g->rings.v[r].n};
        g->n = g->rings.n;
}

/* A district order: its name (after the city's) as areaDesc and its own
 * polygons; no geocode, since the order covers only part of the JMA
 * area.  *area_name becomes the city's name when it was unknown. */
static void district_area(struct capset *c, struct store *st, const struct store_order *o,
                          struct cap_area *a, char **area_name, size_t k)
{
        char key[32], *dname = NULL, *parent = NULL;
        snprintf(key, sizeof(key), "d:%lld", (long long)o->district_id);
        bool fresh;
        struct capgeom *g = geom_slot(c, key, &fresh);
        struct store_area_rings tmp = {0};
        if (store_district_rings(st, o->district_id, CAP_GEOM_MAX_POINTS,
                                 g && fresh ? &g->rings : &tmp, &dname, &parent) < 0)
                return;
        store_area_rings_free(&tmp);
        if (g && fresh)
                geom_fill(g);
        if (!*area_name && parent && store_area_name(st, parent, area_name) < 0)
                *area_name = NULL;
        size_t len = strlen(dname) + (*area_name ? strlen(*area_name) + 2 : 1);
        char *desc = malloc(len);
        if (desc)
                snprintf(desc, len, "%s%s%s", *area_name ? *area_name : "", *area_name ? " " : "",
                         dname);
        free(dname);
        free(parent);
        if (!desc)
                return;
        free(c->order_descs[k]);
        c->order_descs[k] = desc;
        *a = (struct cap_area){desc, NULL, g ? g->cr : NULL, g ? g->n : 0};
}

static void add_orders(struct capset *c, int view, int64_t since, struct store *st)
{
        for (size_t i = 0; i < c->orders.n && c->n + 2 <= CAP_MAX_MSGS; i++) {
                const struct store_order *o = &c->orders.v[i];
                if (o->exercise && !store_exercise_shown(st, view, o->area_code, o->district_id))
                        continue;
                bool in_force = o->lifted_at == 0;
                if (!in_force && o->lifted_at < since)
                        continue;
                const char *name = level_order_name_ja(o->level);
                char *area_name = NULL;
                if (o->area_code && store_area_name(st, o->area_code, &area_name) < 0) {
                        /* Not in the areas table yet: the name JMA gave it. */
                        area_name = NULL;
                        for (size_t a = 0; a < c->status.n && !area_name; a++)
                                if (strcmp(c->status.v[a].area_code, o->area_code) == 0 &&
                                    c->status.v[a].area_name)
                                        area_name = strdup(c->status.v[a].area_name);
                }
                struct cap_area area = {area_name ? area_name : o->area_code, o->area_code, NULL,
                                        0};
                if (!o->area_code && o->district_id > 0)
                        district_area(c, st, o, &area, &area_name, c->n);
                c->order_area_names[c->n] = area_name;
                for (int lift = 0; lift <= (in_force ? 0 : 1); lift++) {
                        size_t k = c->n;
                        struct cap_message *m = &c->m[k];
                        memset(m, 0, sizeof(*m));
                        snprintf(c->ids[k], sizeof(c->ids[k]), "urn:sonae:order:%lld%s",
                                 (long long)o->id, lift ? ":lifted" : "");
                        m->identifier = c->ids[k];
                        m->sender = c->city_sender;
                        m->sender_name = area_name ? area_name : "市町村";
                        m->sent_s = lift ? o->lifted_at : o->issued_at;
                        m->status = o->exercise ? CAP_EXERCISE : CAP_ACTUAL;
                        m->change = lift ? CAP_LIFT : CAP_NEW;
                        if (lift) {
                                snprintf(c->ref_ids[k], sizeof(c->ref_ids[k]),
                                         "urn:sonae:order:%lld", (long long)o->id);
                                c->refs[k] =
                                    (struct cap_ref){c->city_sender, c->ref_ids[k], o->issued_at};
                                m->refs = &c->refs[k];
                                m->n_refs = 1;
                        }
                        m->event = name ? name : "避難情報";
                        m->category = "Safety";
                        m->response_type = o->level >= LEVEL_5 ? "Shelter" : "Evacuate";
                        m->level = o->level;
                        snprintf(c->heads[k], sizeof(c->heads[k]), "%s %s（%s）%s",
                                 area.desc ? area.desc : "", m->event,
                                 level_label_ja(o->level) ? level_label_ja(o->level) : "",
                                 lift ? "を解除" : "を発令");
                        m->headline = c->heads[k];
                        m->description = o->reason;
                        m->effective_s = m->sent_s;
                        c->areas[k] = area;
                        m->areas = &c->areas[k];
                        m->n_areas = 1;
                        c->n++;
                }
        }
}

/* Attaches the polygons of each message's area, read once per area code.
 * An area without geometry (or past the tables' room) keeps its geocode
 * only. */
static void add_geometries(struct capset *c, struct store *st)
{
        for (size_t k = 0; k < c->n; k++) {
                struct cap_area *a = &c->areas[k];
                if (!a->jma_code)
                        continue;
                bool fresh;
                struct capgeom *g = geom_slot(c, a->jma_code, &fresh);
                if (!g)
                        continue;
                if (fresh && store_area_rings(st, a->jma_code, CAP_GEOM_MAX_POINTS, &g->rings) == 0)
                        geom_fill(g);
                a->rings = g->cr;
                a->n_rings = g->n;
        }
}

/* Gathers the messages a reader with view sees; *out is freed with
 * capset_free(). */
static int gather(struct portal_req *req, int view, struct capset **out)
{
        struct portal_app *app = portal_req_app(req);
        struct capset *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        char base[512];
        portal_req_base_url(req, base, sizeof(base));
        const char *host = strstr(base, "://");
        host = host ? host + 3 : base;
        size_t hl = strcspn(host, "/:");
        snprintf(c->city_sender, sizeof(c->city_sender), "city@%.*s", (int)hl, host);
        int64_t now = time_now_ms() / 1000;
        struct store *st = portal_store_acquire(app);
        if (!st) {
                capset_free(c);
                return -EAGAIN;
        }
        int rc = store_alerts_list(st, NULL, now - CAP_WINDOW_S, now + 1, CAP_MAX_MSGS, &c->alerts);
        if (rc == 0)
                rc = store_orders_list(st, true, &c->orders);
        if (rc == 0)
                rc = store_area_status_list(st, view, &c->status);
        if (rc == 0) {
                add_orders(c, view, now - CAP_WINDOW_S, st);
                add_alerts(c, st, view);
                add_geometries(c, st);
        }
        portal_store_release(app, st);
        if (rc < 0) {
                capset_free(c);
                return rc;
        }
        *out = c;
        return 0;
}

/* The drill data a request sees: public ones the public view; staff (a
 * viewer's session, checked by the caller) every drill's in drill mode. */
static int view_of(struct portal_req *req, bool staff)
{
        struct portal_app *app = portal_req_app(req);
        if (!staff)
                return portal_app_public_view(app);
        return portal_app_exercise(app) ? STORE_VIEW_ALL : STORE_VIEW_REAL;
}

static int feed_doc(struct portal_req *req, struct portal_resp *resp, bool staff)
{
        struct capset *c = NULL;
        int rc = gather(req, view_of(req, staff), &c);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc < 0)
                return rc;
        char base[512], self[600], entry[600];
        portal_req_base_url(req, base, sizeof(base));
        snprintf(self, sizeof(self), "%s/api/v1/%scap.atom", base, staff ? "staff/" : "");
        snprintf(entry, sizeof(entry), "%s/api/v1/%scap/", base, staff ? "staff/" : "");
        int64_t updated = 0;
        for (size_t i = 0; i < c->n; i++)
                if (c->m[i].sent_s > updated)
                        updated = c->m[i].sent_s;
        struct cap_feed f = {
            .id = self,
            .title = "防災情報 (CAP 1.2) — 備え",
            .author = "備え (Sonae)",
            .self_url = self,
            .entry_url = entry,
            .updated_s = updated ? updated : time_now_ms() / 1000,
        };
        resp->content_type = "application/atom+xml; charset=utf-8";
        rc = cap_write_feed(&resp->body, &f, c->m, c->n, CAP_FEED_MAX_BYTES, NULL);
        capset_free(c);
        return rc;
}

static int message_doc(struct portal_req *req, struct portal_resp *resp, bool staff)
{
        const char *id = portal_req_path_param(req, "identifier");
        struct capset *c = NULL;
        int rc = gather(req, view_of(req, staff), &c);
        if (rc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        if (rc < 0)
                return rc;
        rc = portal_resp_error(resp, 404, "no such message in the last 48 hours");
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->m[i].identifier, id) == 0) {
                        buf_reset(&resp->body);
                        resp->status = 200;
                        resp->no_cache = false;
                        resp->content_type = "application/cap+xml; charset=utf-8";
                        /* One message alone: polygons at the feed's finest
                         * tolerance (about 2 m), which keeps the drawn
                         * shape; every vertex of a city boundary would make
                         * a message of several hundred KB. */
                        rc = cap_write_message(&resp->body, &c->m[i], CAP_TOL_FINEST, true, true);
                        break;
                }
        capset_free(c);
        return rc;
}

static int feed(struct portal_req *req, struct portal_resp *resp)
{
        return feed_doc(req, resp, false);
}

static int message(struct portal_req *req, struct portal_resp *resp)
{
        return message_doc(req, resp, false);
}

static int staff_feed(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_VIEWER, false, &who))
                return 0;
        return feed_doc(req, resp, true);
}

static int staff_message(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who who;
        if (auth_require(req, resp, AUTH_VIEWER, false, &who))
                return 0;
        return message_doc(req, resp, true);
}

const struct portal_route api_cap_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/cap.atom",
     .name = "cap_feed",
     .handler = feed,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 5000,
     .summary = "CAP 1.2 messages of JMA alerts and the city's orders, as an Atom feed."},
    {.method = "GET",
     .pattern = "/api/v1/cap/{identifier}",
     .name = "cap_message",
     .handler = message,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 60,
     .cache_ms = 5000,
     .summary = "One CAP 1.2 message."},
    {.method = "GET",
     .pattern = "/api/v1/staff/cap.atom",
     .name = "staff_cap_feed",
     .handler = staff_feed,
     .flags = ROUTE_LOG_QUERY,
     .summary = "The CAP feed for staff: every running drill's messages too (Exercise)."},
    {.method = "GET",
     .pattern = "/api/v1/staff/cap/{identifier}",
     .name = "staff_cap_message",
     .handler = staff_message,
     .flags = ROUTE_LOG_QUERY,
     .summary = "One CAP 1.2 message of the staff feed."},
    {0},
};
