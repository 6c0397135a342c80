/* GET /lite?area=CODE: the residents' page without JavaScript, rendered
 * here from the store.  Per area the city's order and JMA's "相当" level on
 * separate lines (never merged), the kinds in force and the public notices;
 * for old phones, text browsers and congested networks.  Kept under 30 KB:
 * areas past the budget are left out with a note saying so. */
#include "api.h"
#include "level.h"
#include "portal.h"
#include "store.h"
#include "store_city.h"
#include "store_sources.h"
#include "timeutil.h"

#include <errno.h>
#include <string.h>

#define LITE_BUDGET (28 * 1024)

/* Writes s with the five HTML special characters escaped. */
static int esc(struct buf *b, const char *s)
{
        int rc = 0;
        for (; s && *s && rc == 0; s++) {
                switch (*s) {
                case '&':
                        rc = buf_puts(b, "&amp;");
                        break;
                case '<':
                        rc = buf_puts(b, "&lt;");
                        break;
                case '>':
                        rc = buf_puts(b, "&gt;");
                        break;
                case '"':
                        rc = buf_puts(b, "&quot;");
                        break;
                case '\'':
                        rc = buf_puts(b, "&#39;");
                        break;
                default:
                        rc = buf_putc(b, *s);
                        break;
                }
        }
        return rc;
}

/* A badge: the official colour as the fill, a readable text colour, an
 * outline, and the level always written. */
static int badge(struct buf *b, int level, const char *suffix)
{
        const char *fill = level_color(level), *ink = level_text_color(level);
        const char *label = level_label_ja(level);
        if (!fill || !ink || !label)
                return 0;
        return buf_printf(b, "<span class=\"b\" style=\"background:%s;color:%s\">%s%s</span> ",
                          fill, ink, label, suffix ? suffix : "");
}

static int when(struct buf *b, int64_t t)
{
        char s[40];
        if (t <= 0 || time_format_jst(t, s, sizeof(s)) < 0)
                return 0;
        return buf_printf(b, "<small>（%s）</small>", s);
}

static int area_html(struct buf *b, const struct store_area_status *a,
                     const struct store_notice_list *notices)
{
        int rc = buf_puts(b, "<section><h2>");
        if (rc == 0)
                rc = esc(b, a->area_name ? a->area_name : a->area_code);
        if (rc == 0 && a->exercise)
                rc = buf_puts(b, "（訓練）");
        if (rc == 0)
                rc = buf_puts(b, "</h2>\n<p class=\"l\">");
        /* The city's order: its own line. */
        if (rc == 0 && a->order.id && level_valid(a->order.level)) {
                rc = badge(b, a->order.level, NULL);
                if (rc == 0)
                        rc = esc(b, a->area_name);
                if (rc == 0)
                        rc = buf_printf(b, "が発令：%s（%s）",
                                        a->order.name_ja ? a->order.name_ja
                                                         : level_order_name_ja(a->order.level),
                                        level_label_ja(a->order.level));
                if (rc == 0)
                        rc = when(b, a->order.issued_at);
        } else if (rc == 0) {
                rc = esc(b, a->area_name);
                if (rc == 0)
                        rc = buf_puts(b, "からの避難情報の発令はありません");
        }
        if (rc == 0)
                rc = buf_puts(b, "</p>\n<p class=\"l\">");
        /* JMA's level: "相当", never presented as the city's order. */
        if (rc == 0 && level_valid(a->level)) {
                rc = badge(b, a->level, "相当");
                if (rc == 0)
                        rc = buf_printf(b, "気象庁の情報：%s相当", level_label_ja(a->level));
        } else if (rc == 0) {
                rc = buf_puts(b, "気象庁の情報：警戒レベル相当の情報はありません");
        }
        if (rc == 0)
                rc = buf_puts(b, "</p>\n");
        if (rc == 0 && !a->order.id && !level_valid(a->level))
                rc = buf_puts(b, "<p><strong>現在、警戒レベルの情報はありません</strong></p>\n");
        if (rc == 0 && a->n_kinds)
                rc = buf_puts(b, "<ul>");
        for (size_t k = 0; k < a->n_kinds && rc == 0; k++) {
                const struct store_area_kind *kd = &a->kinds[k];
                rc = buf_puts(b, "<li>");
                if (rc == 0)
                        rc = esc(b, kd->name);
                if (rc == 0 && kd->status)
                        rc = buf_puts(b, "：");
                if (rc == 0)
                        rc = esc(b, kd->status);
                if (rc == 0 && level_valid(kd->level))
                        rc = buf_printf(b, "（%s相当）", level_label_ja(kd->level));
                if (rc == 0)
                        rc = when(b, kd->issued_at);
                if (rc == 0)
                        rc = buf_puts(b, "</li>");
        }
        if (rc == 0 && a->n_kinds)
                rc = buf_puts(b, "</ul>\n");
        for (size_t i = 0; i < notices->n && rc == 0; i++) {
                const struct store_notice *n = &notices->v[i];
                if (!n->area_code || strcmp(n->area_code, a->area_code) != 0)
                        continue;
                rc = buf_puts(b, "<div class=\"n\"><strong>");
                if (rc == 0)
                        rc = esc(b, n->title_ja);
                if (rc == 0)
                        rc = buf_puts(b, "</strong><br>");
                if (rc == 0)
                        rc = esc(b, n->text_ja);
                if (rc == 0)
                        rc = buf_puts(b, "</div>\n");
        }
        if (rc == 0)
                rc = buf_puts(b, "</section>\n");
        return rc;
}

static int lite(struct portal_req *req, struct portal_resp *resp)
{
        struct portal_app *app = portal_req_app(req);
        const char *want = portal_req_query(req, "area");
        int64_t now = time_now_ms() / 1000;
        struct store *st = portal_store_acquire(app);
        if (!st)
                return portal_resp_error(resp, 503, "store unavailable");
        struct store_area_status_list areas = {0};
        struct store_notice_list notices = {0};
        int view = portal_app_public_view(app);
        int rc = store_area_status_list(st, view, &areas);
        bool drill = view == STORE_VIEW_ALL;
        if (rc == 0 && view == STORE_VIEW_PUBLIC)
                rc = store_drill_public(st, &drill);
        if (rc == 0)
                rc = store_notices_in_force(st, now, true, &notices);
        portal_store_release(app, st);
        if (rc < 0)
                goto out;
        struct buf *b = &resp->body;
        resp->content_type = "text/html; charset=utf-8";
        rc = buf_puts(b,
                      "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                      "<title>備え — 警戒レベルと避難情報（文字版）</title><style>"
                      "body{font-family:sans-serif;font-size:1.15em;line-height:1.6;margin:0 "
                      "auto;max-width:40em;padding:0 .8em;color:#111}"
                      ".b{border:2px solid #000;border-radius:.3em;padding:0 .4em;font-weight:bold}"
                      ".l{font-weight:bold;border:2px solid #555;padding:.4em;border-radius:.4em}"
                      ".n{border-left:6px solid #1a3d6b;padding:.2em .6em;margin:.4em 0}"
                      ".x{background:#ffd84d;font-weight:bold;text-align:center;padding:.3em}"
                      "</style></head><body>\n");
        if (rc == 0 && drill)
                rc = buf_puts(b, "<p class=\"x\">訓練・デモ</p>\n");
        if (rc == 0)
                rc = buf_puts(b, "<h1>警戒レベルと避難情報</h1>\n");
        size_t shown = 0, left = 0;
        for (size_t i = 0; i < areas.n && rc == 0; i++) {
                const struct store_area_status *a = &areas.v[i];
                if (want && *want && strcmp(a->area_code, want) != 0)
                        continue;
                if (b->len > LITE_BUDGET) {
                        left++;
                        continue;
                }
                rc = area_html(b, a, &notices);
                shown++;
        }
        if (rc == 0 && shown == 0)
                rc = buf_puts(b, "<p><strong>現在、警戒レベルの情報はありません</strong></p>\n");
        if (rc == 0 && left)
                rc = buf_printf(b,
                                "<p>ほかに %zu 地域あります。地域を指定してください"
                                "（例：/lite?area=0620300）。</p>\n",
                                left);
        if (rc == 0)
                rc = buf_puts(b, "<p><small>出典：気象庁（警報・注意報）、市町村（避難情報）。"
                                 "</small></p>\n<p><a href=\"/\">地図と避難計画のページへ</a></p>"
                                 "\n</body></html>\n");
out:
        store_area_status_list_free(&areas);
        store_notice_list_free(&notices);
        if (rc == -ENOBUFS)
                return portal_resp_error(resp, 500, "page too large");
        return rc;
}

const struct portal_route api_lite_routes[] = {
    {.method = "GET",
     .pattern = "/lite",
     .name = "lite",
     .handler = lite,
     .flags = ROUTE_PUBLIC | ROUTE_LOG_QUERY,
     .max_age = 30,
     .cache_ms = 5000,
     .summary = "The residents' page without JavaScript: levels, orders and notices per area.",
     .params = {{"area", PARAM_ID, 0, 0, NULL, 16, "JMA area code (7 digits)"}}},
    {0},
};
