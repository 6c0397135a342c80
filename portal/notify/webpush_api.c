/* The residents' Web Push endpoints of sonae-portald (docs/portal.md):
 *
 *   GET  /api/v1/webpush/key          the VAPID public key for
 *                                     pushManager.subscribe()
 *   POST /api/v1/webpush/subscribe    {"subscription": PushSubscription,
 *                                      "district_id": N (optional),
 *                                      "min_level": 1..5 (optional, 3)}
 *   POST /api/v1/webpush/unsubscribe  {"endpoint": URL}: one action
 *
 * A subscription becomes one notify rule of the first enabled webpush
 * channel (orders and notices of the district, from min_level up); the
 * same endpoint subscribing again replaces its rule.  Only the endpoint,
 * the two keys, the district and the level are kept; nothing of a request
 * is logged. */
#include "api.h"
#include "portal.h"
#include "store.h"
#include "store_city.h"
#include "webpush.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESIDENT_TYPES "[\"order.issued\",\"order.lifted\",\"notice.published\"]"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct webpush_settings cur;

void notify_webpush_set(const struct webpush_settings *s)
{
        pthread_mutex_lock(&mu);
        notify_webpush_settings_free(&cur);
        if (s && s->channel) {
                cur.channel = strdup(s->channel);
                cur.public_key = strdup(s->public_key);
                cur.hosts = strdup(s->hosts);
                cur.max_subscriptions = s->max_subscriptions;
        }
        pthread_mutex_unlock(&mu);
}

static bool settings_copy(struct webpush_settings *out)
{
        pthread_mutex_lock(&mu);
        memset(out, 0, sizeof(*out));
        if (cur.channel) {
                out->channel = strdup(cur.channel);
                out->public_key = strdup(cur.public_key);
                out->hosts = strdup(cur.hosts);
                out->max_subscriptions = cur.max_subscriptions;
        }
        pthread_mutex_unlock(&mu);
        return out->channel && out->public_key && out->hosts;
}

static int off(struct portal_resp *resp, struct webpush_settings *s)
{
        notify_webpush_settings_free(s);
        return portal_resp_error(resp, 404, "Web Push は設定されていません (not configured)");
}

static int key(struct portal_req *req, struct portal_resp *resp)
{
        (void)req;
        struct webpush_settings s;
        if (!settings_copy(&s))
                return off(resp, &s);
        json_t *o = json_pack("{s:s}", "public_key", s.public_key);
        char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        notify_webpush_settings_free(&s);
        if (!t)
                return -ENOMEM;
        resp->status = 200;
        buf_puts(&resp->body, t);
        free(t);
        return 0;
}

/* The body as a JSON object of at most WEBPUSH_BODY_MAX bytes; NULL after
 * answering. */
static json_t *small_body(struct portal_req *req, struct portal_resp *resp)
{
        size_t len = 0;
        const void *b = portal_req_body(req, &len);
        if (len > WEBPUSH_BODY_MAX) {
                portal_resp_error(resp, 413, "body: at most 4096 bytes");
                return NULL;
        }
        json_t *o = b ? json_loadb(b, len, 0, NULL) : NULL;
        if (!json_is_object(o)) {
                json_decref(o);
                portal_resp_error(resp, 400, "body: a JSON object required");
                return NULL;
        }
        return o;
}

/* Deletes the rules whose target is the subscription of endpoint; returns
 * how many, and counts the channel's other subscriptions in *others. */
static int remove_endpoint(struct store *st, const char *channel, const char *endpoint,
                           int64_t *others)
{
        struct store_notify_rule_list l = {0};
        int n = 0;
        *others = 0;
        int rc = store_notify_rules_list(st, &l);
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
                char *ep = notify_webpush_target_endpoint(l.v[i].target);
                if (ep && strcmp(ep, endpoint) == 0) {
                        if (store_notify_rule_delete(st, l.v[i].id) == 0)
                                n++;
                } else if (ep && channel && strcmp(l.v[i].channel, channel) == 0) {
                        (*others)++;
                }
                free(ep);
        }
        store_notify_rule_list_free(&l);
        return rc < 0 ? rc : n;
}

static int subscribe(struct portal_req *req, struct portal_resp *resp)
{
        struct webpush_settings s;
        if (!settings_copy(&s))
                return off(resp, &s);
        json_t *o = small_body(req, resp);
        char *target = NULL, *ep = NULL;
        struct store *st = NULL;
        struct portal_app *app = portal_req_app(req);
        char why[160] = "";
        if (!o)
                goto out;
        json_t *di = json_object_get(o, "district_id");
        json_t *ml = json_object_get(o, "min_level");
        if ((di && !json_is_null(di) && (!json_is_integer(di) || json_integer_value(di) < 0)) ||
            (ml &&
             (!json_is_integer(ml) || json_integer_value(ml) < 1 || json_integer_value(ml) > 5))) {
                portal_resp_error(resp, 400, "district_id: integer; min_level: 1 to 5");
                goto out;
        }
        if (notify_webpush_subscription(s.hosts, json_object_get(o, "subscription"), &target, why,
                                        sizeof(why)) < 0) {
                portal_resp_error(resp, 400, why);
                goto out;
        }
        ep = notify_webpush_target_endpoint(target);
        st = portal_store_acquire_write(app);
        if (!st || !ep) {
                portal_resp_error(resp, 503, "store unavailable");
                goto out;
        }
        int64_t others = 0, id = 0;
        int removed = remove_endpoint(st, s.channel, ep, &others);
        if (removed < 0) {
                portal_resp_error(resp, 503, "store unavailable");
                goto out;
        }
        if (others >= s.max_subscriptions) {
                portal_resp_error(resp, 503, "登録数の上限に達しています (subscriptions full)");
                goto out;
        }
        struct store_notify_rule r = {.channel = s.channel,
                                      .target = target,
                                      .district_id =
                                          json_is_integer(di) ? json_integer_value(di) : 0,
                                      .min_level = ml ? (int)json_integer_value(ml) : 3,
                                      .event_types = RESIDENT_TYPES,
                                      .enabled = true};
        if (store_notify_rule_add(st, &r, &id) < 0) {
                portal_resp_error(resp, 400, "その地区は見つかりませんでした (unknown district)");
                goto out;
        }
        json_t *a = json_pack("{s:b, s:b, s:I, s:i}", "subscribed", 1, "replaced", removed > 0,
                              "district_id", (json_int_t)r.district_id, "min_level", r.min_level);
        char *t = a ? json_dumps(a, JSON_COMPACT) : NULL;
        json_decref(a);
        resp->status = t ? 201 : 500;
        buf_puts(&resp->body, t ? t : "{}");
        free(t);
out:
        if (st)
                portal_store_release_write(app, st);
        json_decref(o);
        free(target);
        free(ep);
        notify_webpush_settings_free(&s);
        return 0;
}

static int unsubscribe(struct portal_req *req, struct portal_resp *resp)
{
        struct webpush_settings s;
        if (!settings_copy(&s))
                return off(resp, &s);
        json_t *o = small_body(req, resp);
        struct store *st = NULL;
        struct portal_app *app = portal_req_app(req);
        const char *ep = json_string_value(json_object_get(o, "endpoint"));
        if (!o)
                goto out;
        if (!ep || strlen(ep) > WEBPUSH_ENDPOINT_MAX) {
                portal_resp_error(resp, 400, "endpoint: the subscription's endpoint required");
                goto out;
        }
        st = portal_store_acquire_write(app);
        int64_t others = 0;
        int n = st ? remove_endpoint(st, s.channel, ep, &others) : -EAGAIN;
        if (n < 0) {
                portal_resp_error(resp, 503, "store unavailable");
                goto out;
        }
        char t[64];
        snprintf(t, sizeof(t), "{\"removed\":%d}", n);
        resp->status = 200;
        buf_puts(&resp->body, t);
out:
        if (st)
                portal_store_release_write(app, st);
        json_decref(o);
        notify_webpush_settings_free(&s);
        return 0;
}

const struct portal_route api_webpush_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/webpush/key",
     .name = "webpush_key",
     .handler = key,
     .flags = ROUTE_PUBLIC,
     .max_age = 3600,
     .summary = "The VAPID public key for the browser's pushManager.subscribe()."},
    {.method = "POST",
     .pattern = "/api/v1/webpush/subscribe",
     .name = "webpush_subscribe",
     .handler = subscribe,
     .summary = "A resident's browser subscribes (district, lowest level)."},
    {.method = "POST",
     .pattern = "/api/v1/webpush/unsubscribe",
     .name = "webpush_unsubscribe",
     .handler = unsubscribe,
     .summary = "Removes the subscription of an endpoint in one action."},
    {0},
};
