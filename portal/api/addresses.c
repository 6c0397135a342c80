/* GET /api/v1/addresses?q=: finding one's home by its address, and the
 * picker (district, then 町丁目) for those who would rather choose.  The
 * query is a resident's address: never logged (no ROUTE_LOG_QUERY).
 *
 * Path segments may only hold [A-Za-z0-9_.:-], but without imported
 * districts the picker's entries are the 大字・町 names ("town:本町", see
 * geo_picker_districts()).  Such a code is sent as "town-" and the name's
 * UTF-8 bytes in hex ("town-e69cace794ba"), and read back the same way. */
#include "api.h"
#include "geo.h"
#include "json.h"
#include "portal.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ADDRESS_RESULTS 20
#define TOWN_PREFIX     "town:"
#define TOWN_HEX_PREFIX "town-"

static void address_item(struct json_writer *w, const struct geo_address *a)
{
        json_obj_begin(w);
        json_key(w, "id");
        json_int(w, a->id);
        json_key(w, "code");
        json_str(w, a->code);
        json_key(w, "pref");
        json_str(w, a->pref);
        json_key(w, "city");
        json_str(w, a->city);
        json_key(w, "town");
        json_str(w, a->town);
        json_key(w, "label");
        json_str(w, a->label);
        json_key(w, "lon");
        json_double(w, a->lon);
        json_key(w, "lat");
        json_double(w, a->lat);
        json_key(w, "district_id");
        if (a->district_id > 0)
                json_int(w, a->district_id);
        else
                json_null_value(w);
        json_obj_end(w);
}

static int address_list(struct portal_resp *resp, const struct geo_address_list *l)
{
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "addresses");
        json_arr_begin(&w);
        for (size_t i = 0; i < l->n; i++)
                address_item(&w, &l->v[i]);
        json_arr_end(&w);
        json_key(&w, "attribution");
        json_str(&w, "国土交通省「位置参照情報」");
        json_obj_end(&w);
        return json_error(&w);
}

static int search(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *q = portal_req_query(req, "q");
        if (!q)
                return portal_resp_error(resp, 400, "q: required");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct geo_address_list l = {0};
        int rc = geo_address_search(st, q, ADDRESS_RESULTS, &l);
        portal_store_release(app, st);
        if (rc == -EINVAL)
                return portal_resp_error(resp, 400, "q: at most 200 bytes of UTF-8 text");
        if (rc < 0)
                return rc;
        rc = address_list(resp, &l);
        geo_address_list_free(&l);
        return rc;
}

/* "town:NAME" → "town-HEX"; false when it does not fit. */
static bool code_out(const char *code, char *out, size_t len)
{
        if (strncmp(code, TOWN_PREFIX, strlen(TOWN_PREFIX)) != 0)
                return (size_t)snprintf(out, len, "%s", code) < len;
        const char *name = code + strlen(TOWN_PREFIX);
        size_t o = (size_t)snprintf(out, len, "%s", TOWN_HEX_PREFIX);
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                if (o + 3 > len)
                        return false;
                snprintf(out + o, 3, "%02x", *p);
                o += 2;
        }
        return true;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* "town-HEX" → "town:NAME"; other codes as they are.  -EINVAL for hex
 * that is broken or not UTF-8. */
static int code_in(const char *code, char *out, size_t len)
{
        if (strncmp(code, TOWN_HEX_PREFIX, strlen(TOWN_HEX_PREFIX)) != 0)
                return (size_t)snprintf(out, len, "%s", code) < len ? 0 : -EINVAL;
        const char *hex = code + strlen(TOWN_HEX_PREFIX);
        size_t n = strlen(hex);
        size_t o = (size_t)snprintf(out, len, "%s", TOWN_PREFIX);
        if (n == 0 || n % 2 || o + n / 2 + 1 > len)
                return -EINVAL;
        for (size_t i = 0; i < n; i += 2) {
                int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        return -EINVAL;
                out[o++] = (char)(hi << 4 | lo);
        }
        out[o] = '\0';
        return geo_utf8_valid(out, o) ? 0 : -EINVAL;
}

static int districts(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct geo_pick_list l = {0};
        int rc = geo_picker_districts(st, &l);
        portal_store_release(app, st);
        if (rc < 0)
                return rc;
        struct json_writer w;
        json_init(&w, &resp->body);
        json_obj_begin(&w);
        json_key(&w, "districts");
        json_arr_begin(&w);
        for (size_t i = 0; i < l.n; i++) {
                char code[160];
                /* A name too long for a path segment cannot be asked for:
                 * leave it out of the list rather than offer a dead end. */
                if (!code_out(l.v[i].code, code, sizeof(code)))
                        continue;
                json_obj_begin(&w);
                json_key(&w, "code");
                json_str(&w, code);
                json_key(&w, "name");
                json_str(&w, l.v[i].name);
                json_key(&w, "kind");
                json_str(&w, l.v[i].kind);
                json_key(&w, "n_towns");
                json_int(&w, l.v[i].n_towns);
                /* A real district's id and area: what orders and notices
                 * name it by; null for the 大字・町 stand-ins. */
                json_key(&w, "id");
                if (l.v[i].id > 0)
                        json_int(&w, l.v[i].id);
                else
                        json_null_value(&w);
                json_key(&w, "area_code");
                json_str(&w, l.v[i].area_code);
                json_obj_end(&w);
        }
        json_arr_end(&w);
        json_obj_end(&w);
        geo_pick_list_free(&l);
        return json_error(&w);
}

static int district_towns(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        char code[160];
        if (code_in(portal_req_path_param(req, "code"), code, sizeof(code)) < 0)
                return portal_resp_error(resp, 400, "code: not a district code");
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct geo_address_list l = {0};
        int rc = geo_picker_towns(st, code, &l);
        portal_store_release(app, st);
        if (rc == -EINVAL)
                return portal_resp_error(resp, 400, "code: not a district code");
        if (rc < 0)
                return rc;
        if (l.n == 0) {
                geo_address_list_free(&l);
                return portal_resp_error(resp, 404, "no such district");
        }
        rc = address_list(resp, &l);
        geo_address_list_free(&l);
        return rc;
}

const struct portal_route api_addresses_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/addresses",
     .name = "addresses",
     .handler = search,
     .flags = ROUTE_PUBLIC,
     .max_age = 300,
     .cache_ms = 5000,
     .summary = "Addresses (町丁目) matching free text: full- or half-width, kanji numerals, kana.",
     .params = {{"q", PARAM_STRING, 0, 0, NULL, 200, "address text, required"}}},
    {.method = "GET",
     .pattern = "/api/v1/addresses/districts",
     .name = "addresses_districts",
     .handler = districts,
     .flags = ROUTE_PUBLIC,
     .max_age = 300,
     .cache_ms = 60000,
     .summary = "The picker's first list: districts, or the 大字・町 names without districts."},
    {.method = "GET",
     .pattern = "/api/v1/addresses/districts/{code}",
     .name = "addresses_district",
     .handler = district_towns,
     .flags = ROUTE_PUBLIC,
     .max_age = 300,
     .cache_ms = 60000,
     .summary = "The picker's second list: the 町丁目 of one district."},
    {0},
};
