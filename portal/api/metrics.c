/* GET /metrics: Prometheus text format.  Requests and latencies of the
 * portal, and from the store: each source's health and last success, the
 * stations per state (stale and offline counted apart from ok; a drill's
 * own stations and sources, marked exercise, apart from the real ones so
 * that the real gauges stay the real system's health), and the newest
 * event id as a counter whose rate is the ingest rate.  From loopback
 * without a proxy in between, or with a staff session or a display token
 * (a Prometheus elsewhere sends Authorization: Bearer). */
#include "api.h"
#include "auth.h"
#include "level.h"
#include "portal.h"
#include "store.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <string.h>

/* Label values are source names from the config: keep them to a safe set. */
static void label(struct buf *out, const char *s)
{
        for (; s && *s; s++)
                buf_putc(out, (*s == '"' || *s == '\\' || *s == '\n') ? '_' : *s);
}

/* The sources' health gauges, prefix source_ok and prefix
 * source_last_ok_seconds, of the real sources or (exercise) the drill's. */
static void source_gauges(struct buf *out, const char *prefix, const char *whose,
                          const struct store_source_status_list *src, bool exercise)
{
        buf_printf(out,
                   "# HELP %ssource_ok 1 while a source's state is ok%s.\n"
                   "# TYPE %ssource_ok gauge\n",
                   prefix, whose, prefix);
        for (size_t i = 0; i < src->n; i++) {
                if (src->v[i].exercise != exercise)
                        continue;
                buf_printf(out, "%ssource_ok{source=\"", prefix);
                label(out, src->v[i].name);
                buf_printf(out, "\",state=\"%s\"} %d\n", src->v[i].state ? src->v[i].state : "",
                           src->v[i].state && strcmp(src->v[i].state, "ok") == 0);
        }
        buf_printf(out,
                   "# HELP %ssource_last_ok_seconds Unix time of a source's last success%s.\n"
                   "# TYPE %ssource_last_ok_seconds gauge\n",
                   prefix, whose, prefix);
        for (size_t i = 0; i < src->n; i++) {
                if (src->v[i].exercise != exercise)
                        continue;
                buf_printf(out, "%ssource_last_ok_seconds{source=\"", prefix);
                label(out, src->v[i].name);
                buf_printf(out, "\"} %lld\n", (long long)src->v[i].last_ok_at);
        }
}

/* One gauge of stations per state: name{state="..."} n. */
static void station_gauge(struct buf *out, const char *name, const char *help,
                          const size_t n[STATE_UNKNOWN + 1])
{
        buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
        for (int s = 0; s <= STATE_UNKNOWN; s++)
                buf_printf(out, "%s{state=\"%s\"} %zu\n", name,
                           station_state_name((enum station_state)s), n[s]);
}

static int store_metrics(struct portal_app *app, struct buf *out)
{
        struct store *st = portal_store_acquire(app);
        buf_puts(out, "# HELP sonae_store_up 1 when the portal can read the store.\n"
                      "# TYPE sonae_store_up gauge\n");
        buf_printf(out, "sonae_store_up %d\n", st ? 1 : 0);
        if (!st)
                return 0;
        struct store_source_status_list src = {0};
        struct store_latest_list lat = {0};
        int64_t last_event = 0;
        int64_t now = time_now_ms() / 1000;
        int rc = store_source_status_list(st, &src);
        if (rc == 0)
                rc = store_latest_all(st, now, &lat);
        if (rc == 0)
                rc = store_events_last_id(st, &last_event);
        portal_store_release(app, st);
        if (rc < 0)
                goto out;
        source_gauges(out, "sonae_", "", &src, false);
        source_gauges(out, "sonae_exercise_", " (a running drill's own sources)", &src, true);
        size_t by_state[2][STATE_UNKNOWN + 1] = {{0}};
        for (size_t i = 0; i < lat.n; i++)
                if (lat.v[i].state <= STATE_UNKNOWN)
                        by_state[lat.v[i].exercise][lat.v[i].state]++;
        station_gauge(out, "sonae_stations",
                      "Real stations by state (stale and offline are not safe); a drill's own "
                      "are in sonae_exercise_stations.",
                      by_state[0]);
        station_gauge(out, "sonae_exercise_stations",
                      "A running drill's own stations (訓練) by state.", by_state[1]);
        buf_printf(out,
                   "# HELP sonae_store_events_total Events written to the store "
                   "(rate: the ingest rate).\n"
                   "# TYPE sonae_store_events_total counter\n"
                   "sonae_store_events_total %lld\n",
                   (long long)last_event);
out:
        store_source_status_list_free(&src);
        store_latest_list_free(&lat);
        return rc;
}

static int metrics(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        if (!portal_req_loopback(req)) {
                struct auth_who who;
                int rc = auth_identify(req, &who);
                if (rc == -EAGAIN)
                        return portal_resp_error(resp, 503, "store unavailable");
                if (rc < 0)
                        return portal_resp_error(resp, 403,
                                                 "only from the server itself, or with a staff "
                                                 "login or display token");
        }
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        int rc = portal_app_metrics(app, &resp->body);
        if (rc == 0)
                rc = buf_puts(&resp->body, "# HELP sonae_portal_up 1 while sonae-portald answers.\n"
                                           "# TYPE sonae_portal_up gauge\n"
                                           "sonae_portal_up 1\n");
        if (rc == 0)
                rc = store_metrics(app, &resp->body);
        return rc;
}

const struct portal_route api_metrics_routes[] = {
    {.method = "GET",
     .pattern = "/metrics",
     .name = "metrics",
     .handler = metrics,
     .flags = ROUTE_LOG_QUERY,
     .summary = "Prometheus metrics (loopback, or a staff login or display token)."},
    {0},
};
