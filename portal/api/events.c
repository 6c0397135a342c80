/* GET /api/v1/events: Server-Sent Events from the store's events table.
 *
 * Each event goes out as "id: N / event: TYPE / data: {...}".  A client
 * that reconnects sends Last-Event-ID (browsers do it themselves) and gets
 * every event after it, in order, without duplicates; a new client starts
 * at the newest event.  Staff (session) and wall screens (display token)
 * get every event; without them the stream is refused unless [portal]
 * events_without_auth is set, and then carries public events only.  Residents' pages poll
 * /api/v1/status instead. */
#include "api.h"
#include "auth.h"
#include "buf.h"
#include "json.h"
#include "portal.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SSE_BATCH       500
#define SSE_KEEPALIVE_S 15
#define SSE_PENDING_MAX (4 * 1024 * 1024)

struct sse {
        struct portal_app *app;
        int64_t last_id; /* newest event sent or queued */
        int64_t scanned; /* every event id <= this has been looked at */
        int64_t last_write_ms;
        struct buf pending;
        size_t off;
        bool public_only;
};

static int queue_events(struct sse *s)
{
        /* Snapshot the app's newest id first: every event up to it was
         * committed before, so the query below sees it. */
        int64_t seen = s->last_id;
        struct store *st = portal_store_acquire(s->app);
        if (!st)
                return -EAGAIN;
        struct store_event_list l = {0};
        int64_t newest = 0;
        int rc = store_events_last_id(st, &newest);
        if (rc == 0)
                rc = store_events_after(st, s->last_id, SSE_BATCH, s->public_only, &l);
        portal_store_release(s->app, st);
        if (rc < 0)
                return rc;
        buf_reset(&s->pending);
        s->off = 0;
        for (size_t i = 0; i < l.n && rc == 0; i++) {
                const struct store_event *e = &l.v[i];
                struct json_writer w;
                rc = buf_printf(&s->pending, "id: %lld\nevent: %s\ndata: ", (long long)e->id,
                                e->type);
                json_init(&w, &s->pending);
                json_obj_begin(&w);
                json_key(&w, "id");
                json_int(&w, e->id);
                json_key(&w, "type");
                json_str(&w, e->type);
                json_key(&w, "subject");
                json_str(&w, e->subject);
                json_key(&w, "at");
                char t[32];
                time_format_jst(e->at, t, sizeof(t));
                json_str(&w, t);
                json_key(&w, "level");
                if (e->level >= 1 && e->level <= 5)
                        json_int(&w, e->level);
                else
                        json_null_value(&w);
                json_key(&w, "exercise");
                json_bool(&w, e->exercise);
                json_key(&w, "data");
                /* The store keeps data as JSON object text on one line. */
                if (e->data && e->data[0] == '{' && !strchr(e->data, '\n'))
                        json_raw(&w, e->data);
                else
                        json_null_value(&w);
                json_obj_end(&w);
                rc = json_error(&w);
                if (rc == 0)
                        rc = buf_puts(&s->pending, "\n\n");
                seen = e->id;
        }
        if (rc == 0) {
                s->last_id = seen;
                /* A short page means we reached the newest event. */
                s->scanned = l.n < SSE_BATCH ? (newest > seen ? newest : seen) : seen;
        }
        store_event_list_free(&l);
        return rc;
}

static long sse_read(void *ctx, char *dst, size_t max)
{
        struct sse *s = ctx;
        if (s->off >= s->pending.len) {
                int rc = queue_events(s);
                if (rc < 0 && rc != -EAGAIN)
                        return -1;
                int64_t now = time_mono_ms();
                if (s->pending.len == 0 && now - s->last_write_ms >= SSE_KEEPALIVE_S * 1000) {
                        /* A comment line keeps proxies from closing an idle stream. */
                        buf_puts(&s->pending, ": keep-alive\n\n");
                }
                if (s->pending.len == 0)
                        return 0;
        }
        size_t n = s->pending.len - s->off;
        if (n > max)
                n = max;
        memcpy(dst, s->pending.data + s->off, n);
        s->off += n;
        s->last_write_ms = time_mono_ms();
        if (s->off >= s->pending.len) {
                buf_reset(&s->pending);
                s->off = 0;
        }
        return (long)n;
}

static bool sse_should_wait(void *ctx, int64_t event_seq)
{
        struct sse *s = ctx;
        return event_seq <= s->scanned;
}

static void sse_free(void *ctx)
{
        struct sse *s = ctx;
        if (!s)
                return;
        buf_free(&s->pending);
        free(s);
}

static int events(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        /* Staff and wall screens get every event; [portal]
         * events_without_auth still serves public events to anyone. */
        struct auth_who who;
        int arc = auth_identify(req, &who);
        if (arc == -EAGAIN)
                return portal_resp_error(resp, 503, "store unavailable");
        bool staff = arc == 0;
        if (!staff && !portal_app_events_enabled(app))
                return portal_resp_error(resp, 401,
                                         "ログインが必要です (staff login or display token)");
        const char *lei = portal_req_header(req, "Last-Event-ID");
        int64_t last = -1;
        if (lei && *lei) {
                char *end = NULL;
                errno = 0;
                long long v = strtoll(lei, &end, 10);
                if (errno || *end || v < 0)
                        return portal_resp_error(resp, 400, "Last-Event-ID: an event id");
                last = v;
        }
        struct sse *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->app = app;
        s->public_only = !staff;
        buf_init(&s->pending, SSE_PENDING_MAX);
        if (last < 0) {
                struct store *st = portal_store_acquire(app);
                int64_t newest = 0;
                int rc = st ? store_events_last_id(st, &newest) : -EAGAIN;
                portal_store_release(app, st);
                if (rc < 0) {
                        sse_free(s);
                        return portal_resp_error(resp, 503, "store unavailable");
                }
                last = newest;
        }
        s->last_id = s->scanned = last;
        /* Tell the browser how soon to reconnect. */
        buf_puts(&s->pending, "retry: 2000\n\n");
        resp->stream.ctx = s;
        resp->stream.read = sse_read;
        resp->stream.should_wait = sse_should_wait;
        resp->stream.free = sse_free;
        return 0;
}

const struct portal_route api_events_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/events",
     .name = "events",
     .handler = events,
     .flags = ROUTE_STREAM,
     .summary = "Live events (Server-Sent Events, Last-Event-ID) for staff."},
    {0},
};
