/* POST /api/v1/line/webhook: the city's LINE official account calls this.
 *
 * The body is accepted only with a valid X-Line-Signature (base64 of
 * HMAC-SHA256 of the exact body with the channel secret); a forged or
 * missing one gets 401 and nothing is read.  Events handled:
 *   follow                 → a reply asking for the district (text "地区 N")
 *   message text "地区 N"  → subscribes the user id to district N's orders
 *                            and levels (a notify rule, level 3 and up)
 *   unfollow, text "解除"  → deletes every rule of that user id
 *   message location       → a reply with the hazard answer of the place
 * Only LINE's opaque user id is kept; positions are used for the answer and
 * never stored or logged.  The settings come from the first enabled
 * [notify.NAME] of type line with `channel_secret_file`. */
#include "api.h"
#include "geo.h"
#include "level.h"
#include "line_webhook.h"
#include "log.h"
#include "portal.h"
#include "store.h"
#include "store_city.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *notify_read_secret(const char *path);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct line_hook_settings cur;

void notify_line_webhook_set(const struct line_hook_settings *s)
{
        pthread_mutex_lock(&mu);
        free(cur.secret);
        free(cur.channel);
        free(cur.token);
        free(cur.base_url);
        free(cur.ca_file);
        memset(&cur, 0, sizeof(cur));
        if (s && s->secret) {
                cur.secret = strdup(s->secret);
                cur.channel = strdup(s->channel);
                cur.token = s->token ? strdup(s->token) : NULL;
                cur.base_url = strdup(s->base_url ? s->base_url : "https://api.line.me");
                cur.ca_file = s->ca_file ? strdup(s->ca_file) : NULL;
        }
        pthread_mutex_unlock(&mu);
}

/* Copies the settings under the lock; false when the endpoint is off. */
static bool settings_copy(struct line_hook_settings *out)
{
        pthread_mutex_lock(&mu);
        bool on = cur.secret != NULL;
        memset(out, 0, sizeof(*out));
        if (on) {
                out->secret = strdup(cur.secret);
                out->channel = strdup(cur.channel);
                out->token = cur.token ? strdup(cur.token) : NULL;
                out->base_url = strdup(cur.base_url);
                out->ca_file = cur.ca_file ? strdup(cur.ca_file) : NULL;
        }
        pthread_mutex_unlock(&mu);
        return on && out->secret && out->channel && out->base_url;
}

bool notify_line_signature_ok(const char *secret, const void *body, size_t len, const char *sig)
{
        unsigned char mac[32];
        unsigned int ml = 0;
        char b64[64];
        if (!secret || !sig)
                return false;
        HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac, &ml);
        int n = EVP_EncodeBlock((unsigned char *)b64, mac, (int)ml);
        return n > 0 && strlen(sig) == (size_t)n && CRYPTO_memcmp(b64, sig, (size_t)n) == 0;
}

static void reply(const struct line_hook_settings *s, const char *token, const char *text)
{
        if (!token || !s->token)
                return;
        json_t *doc = json_pack("{s:s, s:[{s:s, s:s}]}", "replyToken", token, "messages", "type",
                                "text", "text", text);
        char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!body)
                return;
        char url[512], auth[1024], why[128] = "";
        snprintf(url, sizeof(url), "%s/v2/bot/message/reply", s->base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
        if (notify_http_post(url, body, curl_slist_append(NULL, auth), 10, s->ca_file, why,
                             sizeof(why)) < 0)
                log_warn("line webhook: reply failed: %s", why);
        free(body);
}

static void unsubscribe(struct store *st, const char *channel, const char *user)
{
        struct store_notify_rule_list l = {0};
        if (store_notify_rules_list(st, &l) == 0)
                for (size_t i = 0; i < l.n; i++)
                        if (strcmp(l.v[i].channel, channel) == 0 &&
                            strcmp(l.v[i].target, user) == 0)
                                store_notify_rule_delete(st, l.v[i].id);
        store_notify_rule_list_free(&l);
}

static void hazard_reply(struct store *st, const struct line_hook_settings *s, const char *token,
                         double lat, double lon)
{
        struct geo_hazard_answer a;
        if (geo_hazard_at(st, lon, lat, false, &a) < 0) {
                reply(s, token, "この場所の情報はありません（対象地域の外です）。");
                return;
        }
        struct buf b;
        buf_init(&b, 4800);
        buf_puts(&b, "この場所のハザード：\n");
        if (a.n_hazards == 0)
                buf_puts(&b, "・ハザードマップの区域外です\n");
        for (size_t i = 0; i < a.n_hazards && i < 10; i++)
                buf_printf(&b, "・%s %s\n", a.hazards[i].title ? a.hazards[i].title : "",
                           a.hazards[i].label_ja ? a.hazards[i].label_ja : "");
        int lv = a.order_level ? a.order_level : a.jma_level;
        if (lv > a.river_level ? lv : a.river_level)
                buf_printf(&b, "発令・警戒: %s\n",
                           level_label_ja(lv > a.river_level ? lv : a.river_level));
        if (a.order_name_ja)
                buf_printf(&b, "市の避難情報: %s\n", a.order_name_ja);
        reply(s, token, b.data ? b.data : "この場所の情報をお届けできませんでした。");
        buf_free(&b);
        geo_hazard_answer_free(&a);
}

static int line_webhook(struct portal_req *req, struct portal_resp *resp)
{
        struct line_hook_settings s;
        if (!settings_copy(&s)) {
                notify_line_hook_settings_free(&s);
                return portal_resp_error(resp, 404, "LINE webhook not configured");
        }
        size_t len = 0;
        const void *body = portal_req_body(req, &len);
        int rc = 0;
        json_t *doc = NULL;
        struct store *st = NULL;
        struct portal_app *app = portal_req_app(req);
        if (!notify_line_signature_ok(s.secret, body ? body : "", len,
                                      portal_req_header(req, "X-Line-Signature"))) {
                rc = portal_resp_error(resp, 401, "signature does not match");
                goto out;
        }
        doc = json_loadb(body ? body : "", len, 0, NULL);
        json_t *events = json_object_get(doc, "events");
        if (!json_is_array(events)) {
                rc = portal_resp_error(resp, 400, "events: array required");
                goto out;
        }
        st = portal_store_acquire_write(app);
        if (!st) {
                rc = portal_resp_error(resp, 503, "store unavailable");
                goto out;
        }
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev)
        {
                const char *type = json_string_value(json_object_get(ev, "type"));
                const char *token = json_string_value(json_object_get(ev, "replyToken"));
                const char *user =
                    json_string_value(json_object_get(json_object_get(ev, "source"), "userId"));
                json_t *msg = json_object_get(ev, "message");
                const char *mtype = json_string_value(json_object_get(msg, "type"));
                const char *text = json_string_value(json_object_get(msg, "text"));
                if (!type || !user || strlen(user) > 64)
                        continue;
                if (strcmp(type, "follow") == 0) {
                        reply(
                            &s, token,
                            "友だち追加ありがとうございます。避難情報を受け取る地区を「地区 番号」"
                            "の形で送ってください。位置情報を送ると、その場所のハザードをお答え"
                            "します。「解除」で配信を止めます。");
                } else if (strcmp(type, "unfollow") == 0 ||
                           (text && strcmp(mtype, "text") == 0 && strcmp(text, "解除") == 0)) {
                        unsubscribe(st, s.channel, user);
                        if (strcmp(type, "message") == 0)
                                reply(&s, token, "配信を停止しました。");
                } else if (mtype && strcmp(mtype, "location") == 0) {
                        json_t *la = json_object_get(msg, "latitude");
                        json_t *lo = json_object_get(msg, "longitude");
                        if (json_is_number(la) && json_is_number(lo))
                                hazard_reply(st, &s, token, json_number_value(la),
                                             json_number_value(lo));
                } else if (text && strncmp(text, "地区", strlen("地区")) == 0) {
                        char *end = NULL;
                        const char *p = text + strlen("地区");
                        while (*p == ' ')
                                p++;
                        long long d = strtoll(p, &end, 10);
                        if (d <= 0 || end == p || *end) {
                                reply(&s, token, "「地区 番号」の形で送ってください。");
                                continue;
                        }
                        /* One subscription per user: a new district replaces the old. */
                        unsubscribe(st, s.channel, user);
                        struct store_notify_rule r = {
                            .channel = s.channel,
                            .target = user,
                            .district_id = d,
                            .min_level = 3,
                            .event_types =
                                "[\"order.issued\",\"order.lifted\",\"notice.published\"]",
                            .enabled = true};
                        int64_t id = 0;
                        if (store_notify_rule_add(st, &r, &id) == 0)
                                reply(&s, token,
                                      "登録しました。この地区の避難情報をお送りします。");
                        else
                                reply(&s, token, "その地区は見つかりませんでした。");
                }
        }
        resp->status = 200;
        buf_puts(&resp->body, "{}");
out:
        if (st)
                portal_store_release_write(app, st);
        json_decref(doc);
        notify_line_hook_settings_free(&s);
        return rc;
}

const struct portal_route api_line_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/line/webhook",
     .name = "line_webhook",
     .handler = line_webhook,
     .summary = "LINE Messaging API webhook (signed by LINE)."},
    {0},
};
