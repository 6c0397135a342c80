/* マイ・タイムライン: residents' evacuation plans, kept so that the server
 * cannot read them.
 *
 * The resident's device makes a token of at least 128 random bits (this
 * server takes 43 characters of URL-safe base64, 256 bits) and sends it in
 * the X-Timeline-Token header, never in a URL.  The plan body (home point
 * or address, household notes, actions per level) is encrypted with
 * crypto_secretbox under a key derived from the token (BLAKE2b of the token
 * as crypto_kdf master key); the store keeps only a keyed hash of the
 * token, the district, which levels have actions, dates and the
 * ciphertext.  Nothing of the plan or token is logged.  Plans untouched for
 * two years are removed (on every save and every staff count).  Staff see
 * counts per district with every cell under 5 suppressed. */
#include "api.h"
#include "auth.h"
#include "portal.h"
#include "reqjson.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"
#include "tokens.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_MAX        (16 * 1024)
#define EXPIRE_S        (2 * 366 * 24 * 3600)
#define SUPPRESS_BELOW  5
#define CONSENT_VERSION "2026-1"

static const char consent_ja[] =
    "マイ・タイムラインをサーバーに保存する前にお読みください。\n"
    "・保存すると、計画の内容（自宅の位置や住所、家族のメモ、警戒レベルごとの行動）は、"
    "お使いの端末だけが持つ「合言葉（トークン）」から作った鍵で暗号化されて保存されます。"
    "市の職員を含め、トークンを持たない人は内容を読めません。\n"
    "・サーバーが暗号化せずに持つのは、地区、どの警戒レベルに行動があるか、作成日と更新日だけです。"
    "市は地区ごとの件数だけを防災計画に使います（5件未満の数は表示しません）。\n"
    "・トークンをなくすと計画は読めなくなります。端末の保存だけなら同意は不要です。\n"
    "・いつでも削除できます。2年間更新のない計画は自動的に削除されます。";

/* The key and the store's hash of a token; false when it is not one. */
static bool token_keys(struct portal_req *req, unsigned char hash[TOKEN_HASH_LEN],
                       unsigned char key[crypto_secretbox_KEYBYTES])
{
        const char *tok = portal_req_header(req, "X-Timeline-Token");
        unsigned char master[crypto_kdf_KEYBYTES];
        if (!token_valid(tok) || sodium_init() < 0 || token_hash(tok, "timeline", hash) < 0 ||
            token_hash(tok, "timeline-key", master) < 0)
                return false;
        int rc = crypto_kdf_derive_from_key(key, crypto_secretbox_KEYBYTES, 1, "sonae_tl", master);
        sodium_memzero(master, sizeof(master));
        return rc == 0;
}

static int no_token(struct portal_resp *resp)
{
        return portal_resp_error(resp, 400,
                                 "X-Timeline-Token: 43 characters of URL-safe base64 (256 random "
                                 "bits), in the header only");
}

static void expire(struct store *st)
{
        size_t n = 0;
        (void)store_timelines_expire(st, time_now_ms() / 1000 - EXPIRE_S, &n);
}

static int consent(struct portal_req *req, struct portal_resp *resp)
{
        (void)req;
        return resp_json(
            resp, 200, json_pack("{s:s, s:s}", "version", CONSENT_VERSION, "text_ja", consent_ja));
}

static int save(struct portal_req *req, struct portal_resp *resp)
{
        unsigned char hash[TOKEN_HASH_LEN], key[crypto_secretbox_KEYBYTES];
        json_t *body = NULL;
        if (!token_keys(req, hash, key))
                return no_token(resp);
        if (req_json_object(req, resp, &body))
                goto out;
        bool bad = false;
        const char *cv = jstr(body, "consent", 32, &bad);
        json_t *plan = json_object_get(body, "plan");
        json_t *di = json_object_get(body, "district_id");
        if (!cv || strcmp(cv, CONSENT_VERSION) != 0) {
                portal_resp_error(
                    resp, 428,
                    "保存には同意が必要です: GET /api/v1/timeline/consent の version を "
                    "consent に入れてください");
                goto out;
        }
        if (bad || !json_is_object(plan) || (di && !json_is_integer(di))) {
                portal_resp_error(resp, 400, "plan: an object; district_id: integer");
                goto out;
        }
        unsigned mask = 0;
        json_t *acts = json_object_get(plan, "actions");
        for (int lv = 1; lv <= 5 && json_is_object(acts); lv++) {
                char k[4];
                snprintf(k, sizeof(k), "%d", lv);
                json_t *a = json_object_get(acts, k);
                if (a && !(json_is_string(a) && json_string_length(a) == 0) &&
                    !(json_is_array(a) && json_array_size(a) == 0))
                        mask |= 1u << lv;
        }
        char *text = json_dumps(plan, JSON_COMPACT);
        size_t len = text ? strlen(text) : 0;
        if (!text || len > PLAN_MAX) {
                free(text);
                portal_resp_error(resp, 413, "plan: at most 16 KiB");
                goto out;
        }
        unsigned char nonce[crypto_secretbox_NONCEBYTES];
        unsigned char *ct = malloc(len + crypto_secretbox_MACBYTES);
        if (!ct) {
                free(text);
                json_decref(body);
                sodium_memzero(key, sizeof(key));
                return -ENOMEM;
        }
        randombytes_buf(nonce, sizeof(nonce));
        crypto_secretbox_easy(ct, (unsigned char *)text, len, nonce, key);
        sodium_memzero(text, len);
        free(text);
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        int rc = st ? 0 : -EAGAIN;
        if (rc == 0) {
                expire(st);
                rc = store_timeline_put(st, hash, di ? json_integer_value(di) : 0, mask, nonce,
                                        sizeof(nonce), ct, len + crypto_secretbox_MACBYTES);
        }
        if (rc == 0) {
                struct auth_who w = {.name = "resident"};
                json_t *after = json_pack("{s:i}", "levels_mask", (int)mask);
                rc = audit_json(st, &w, "timeline.save", "timeline", NULL, after);
                json_decref(after);
        }
        portal_store_release_write(app, st);
        free(ct);
        if (rc == -EAGAIN)
                portal_resp_error(resp, 503, "store unavailable");
        else if (rc < 0)
                portal_resp_error(resp, 400, "the plan was refused (unknown district?)");
        else
                resp_json(resp, 200, json_pack("{s:b, s:i}", "saved", 1, "levels_mask", (int)mask));
out:
        json_decref(body);
        sodium_memzero(key, sizeof(key));
        return 0;
}

static int load(struct portal_req *req, struct portal_resp *resp)
{
        unsigned char hash[TOKEN_HASH_LEN], key[crypto_secretbox_KEYBYTES];
        if (!token_keys(req, hash, key))
                return no_token(resp);
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_timeline t = {0};
        int rc = store_timeline_get(st, hash, &t);
        portal_store_release(app, st);
        unsigned char *pt = NULL;
        if (rc == 0 && (t.nonce_len != crypto_secretbox_NONCEBYTES ||
                        t.ciphertext_len < crypto_secretbox_MACBYTES))
                rc = -EBADMSG;
        if (rc == 0) {
                size_t n = t.ciphertext_len - crypto_secretbox_MACBYTES;
                pt = malloc(n + 1);
                if (!pt)
                        rc = -ENOMEM;
                else if (crypto_secretbox_open_easy(pt, t.ciphertext, t.ciphertext_len, t.nonce,
                                                    key) != 0)
                        rc = -EBADMSG;
                else
                        pt[n] = 0;
        }
        sodium_memzero(key, sizeof(key));
        json_t *plan = NULL;
        if (rc == 0) {
                json_error_t e;
                plan = json_loads((char *)pt, 0, &e);
                sodium_memzero(pt, t.ciphertext_len - crypto_secretbox_MACBYTES);
        }
        free(pt);
        if (rc == -ENOENT || (rc == 0 && !plan)) {
                store_timeline_free(&t);
                return portal_resp_error(resp, 404, "この合言葉の計画はありません (no plan)");
        }
        if (rc < 0) {
                store_timeline_free(&t);
                return rc == -EBADMSG ? portal_resp_error(resp, 500, "the plan cannot be opened")
                                      : rc;
        }
        char upd[40];
        time_format_jst(t.updated_at, upd, sizeof(upd));
        json_t *v = json_pack("{s:o, s:i, s:s}", "plan", plan, "levels_mask", (int)t.levels_mask,
                              "updated_at", upd);
        if (v && t.district_id)
                json_object_set_new(v, "district_id", json_integer(t.district_id));
        store_timeline_free(&t);
        return resp_json(resp, 200, v);
}

static int erase(struct portal_req *req, struct portal_resp *resp)
{
        unsigned char hash[TOKEN_HASH_LEN], key[crypto_secretbox_KEYBYTES];
        if (!token_keys(req, hash, key))
                return no_token(resp);
        sodium_memzero(key, sizeof(key));
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        int rc = store_timeline_delete(st, hash);
        if (rc == 0) {
                struct auth_who w = {.name = "resident"};
                rc = audit_json(st, &w, "timeline.delete", "timeline", NULL, NULL);
        }
        portal_store_release_write(app, st);
        if (rc == -ENOENT)
                return portal_resp_error(resp, 404, "この合言葉の計画はありません (no plan)");
        if (rc < 0)
                return rc;
        return resp_json(resp, 200, json_pack("{s:b}", "deleted", 1));
}

static json_t *cell(int64_t v)
{
        return v < SUPPRESS_BELOW ? json_pack("n") : json_integer(v);
}

static int stats(struct portal_req *req, struct portal_resp *resp)
{
        struct auth_who w;
        if (auth_require(req, resp, AUTH_VIEWER, false, &w))
                return 0;
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire_write(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        expire(st);
        struct store_timeline_stat_list l = {0};
        int rc = store_timeline_stats(st, &l);
        portal_store_release_write(app, st);
        if (rc < 0)
                return rc;
        json_t *arr = json_array();
        for (size_t i = 0; i < l.n; i++) {
                const struct store_timeline_stat *s = &l.v[i];
                json_t *lv = json_object();
                for (int k = 1; k <= 5; k++) {
                        char key[4];
                        snprintf(key, sizeof(key), "%d", k);
                        json_object_set_new(lv, key, cell(s->per_level[k]));
                }
                json_t *row = json_pack("{s:o, s:o}", "plans", cell(s->plans), "per_level", lv);
                json_object_set_new(row, "district_id",
                                    s->district_id ? json_integer(s->district_id) : json_pack("n"));
                json_array_append_new(arr, row);
        }
        store_timeline_stat_list_free(&l);
        return resp_json(resp, 200,
                         json_pack("{s:o, s:i, s:s}", "districts", arr, "suppressed_below",
                                   SUPPRESS_BELOW, "note_ja", "5件未満の数は null (非表示) です"));
}

const struct portal_route api_timelines_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/timeline/consent",
     .name = "timeline_consent",
     .handler = consent,
     .flags = ROUTE_PUBLIC,
     .max_age = 3600,
     .summary = "The consent text (Japanese) shown before the first server save."},
    {.method = "GET",
     .pattern = "/api/v1/timeline/stats",
     .name = "timeline_stats",
     .handler = stats,
     .summary = "Staff: plans and coverage per level by district, cells under 5 suppressed."},
    {.method = "GET",
     .pattern = "/api/v1/timeline",
     .name = "timeline_get",
     .handler = load,
     .summary = "A resident's plan, decrypted with the X-Timeline-Token header."},
    {.method = "PUT",
     .pattern = "/api/v1/timeline",
     .name = "timeline_put",
     .handler = save,
     .summary = "Saves a resident's plan encrypted under the X-Timeline-Token (with consent)."},
    {.method = "DELETE",
     .pattern = "/api/v1/timeline",
     .name = "timeline_delete",
     .handler = erase,
     .summary = "Deletes the resident's plan."},
    {0},
};
