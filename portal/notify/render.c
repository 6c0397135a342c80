/* Japanese messages from templates (notify.h).
 *
 * Each event type has a subject and a body template; {name} placeholders are
 * filled from the event.  Level words are those of the guideline
 * (common/level.h), and an exercise gets 「【訓練】」 before the subject and
 * a line in the body, so a drill can never be read as real. */
#include "notify.h"

#include "buf.h"
#include "level.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tmpl {
        const char *type;
        bool recovery;
        const char *subject;
        const char *body;
};

/* The templates; docs/notifications.md lists the placeholders. */
static const struct tmpl tmpls[] = {
    {"station.level", false, "{label} {where}の水位",
     "{where}の水位が{label}（{action}）に相当する水位に達しました。\n"},
    {"station.level", true, "水位低下 {where}",
     "{where}の水位が下がりました（現在: {label_or_none}）。\n"},
    {"area.level", false, "{label} {where}", "{where}は{label}（{action}）です。\n"},
    {"area.level", true, "警戒レベル低下 {where}",
     "{where}の警戒レベルが下がりました（現在: {label_or_none}）。\n"},
    {"station.state", false, "観測停止 {where}",
     "{where}のデータが届いていません（状態: {state_ja}）。水位を安全と判断しないでください。\n"},
    {"station.state", true, "観測復旧 {where}", "{where}のデータが再び届いています。\n"},
    {"source.health", false, "取得異常 {where}",
     "データ源 {where} からの取得に失敗しています（状態: {state_ja}）。\n"},
    {"source.health", true, "取得復旧 {where}", "データ源 {where} からの取得が復旧しました。\n"},
    {"device.health", false, "機器異常 {where}", "機器 {where} に異常があります（{state_ja}）。\n"},
    {"device.health", true, "機器復旧 {where}", "機器 {where} が復旧しました。\n"},
    {"camera.state", false, "カメラ停止 {where}", "カメラ {where} の画像が届いていません。\n"},
    {"camera.state", true, "カメラ復旧 {where}", "カメラ {where} の画像が再び届いています。\n"},
    {"order.issued", false, "【{order}】{where}",
     "{where}に{order}（{label}）が発令されました。\n{action}\n"},
    {"order.lifted", false, "解除 {order} {where}", "{where}の{order}は解除されました。\n"},
    {"alert.changed", false, "気象情報 {where}",
     "{where}の気象情報が更新されました（{label_or_none}）。\n"},
    {"notice.published", false, "お知らせ", "市からのお知らせがあります。\n"},
    {NULL, false, "通知 {where}", "{where}に変化がありました。\n"},
};

static const char *state_ja(const char *s)
{
        if (!s)
                return "不明";
        if (strcmp(s, "stale") == 0)
                return "更新停止";
        if (strcmp(s, "offline") == 0)
                return "通信途絶";
        if (strcmp(s, "unknown") == 0)
                return "不明";
        if (strcmp(s, "failing") == 0 || strcmp(s, "error") == 0)
                return "失敗";
        if (strcmp(s, "ok") == 0)
                return "正常";
        return "変化";
}

struct fields {
        char where[160];
        const char *label, *action, *label_or_none, *state, *order;
};

static void expand(struct buf *b, const char *t, const struct fields *f)
{
        while (*t) {
                const char *open = strchr(t, '{');
                if (!open) {
                        buf_append(b, t, strlen(t));
                        return;
                }
                buf_append(b, t, (size_t)(open - t));
                const char *close = strchr(open, '}');
                if (!close) {
                        buf_append(b, open, strlen(open));
                        return;
                }
                size_t n = (size_t)(close - open - 1);
                const char *v = "";
                if (n == 5 && strncmp(open + 1, "where", n) == 0)
                        v = f->where;
                else if (n == 5 && strncmp(open + 1, "label", n) == 0)
                        v = f->label;
                else if (n == 6 && strncmp(open + 1, "action", n) == 0)
                        v = f->action;
                else if (n == 13 && strncmp(open + 1, "label_or_none", n) == 0)
                        v = f->label_or_none;
                else if (n == 8 && strncmp(open + 1, "state_ja", n) == 0)
                        v = f->state;
                else if (n == 5 && strncmp(open + 1, "order", n) == 0)
                        v = f->order;
                buf_append(b, v ? v : "", strlen(v ? v : ""));
                t = close + 1;
        }
}

int notify_render(const struct store_event *ev, int min_level, const char *where,
                  struct notify_msg *m)
{
        memset(m, 0, sizeof(*m));
        json_t *d = json_loads(ev->data ? ev->data : "{}", 0, NULL);
        struct fields f = {0};
        int lvl = ev->level;
        json_t *to = json_object_get(d, "to");
        if (json_is_integer(to))
                lvl = (int)json_integer_value(to);
        else if (strcmp(ev->type, "station.level") == 0 || strcmp(ev->type, "area.level") == 0)
                lvl = LEVEL_NONE;
        const char *st = json_string_value(to);
        if (!st)
                st = json_string_value(json_object_get(d, "state"));
        bool recovery;
        if (strcmp(ev->type, "station.level") == 0 || strcmp(ev->type, "area.level") == 0)
                recovery = lvl < min_level;
        else if (strcmp(ev->type, "station.state") == 0 || strcmp(ev->type, "source.health") == 0 ||
                 strcmp(ev->type, "device.health") == 0 || strcmp(ev->type, "camera.state") == 0)
                recovery = !(st && (strcmp(st, "stale") == 0 || strcmp(st, "offline") == 0 ||
                                    strcmp(st, "unknown") == 0 || strcmp(st, "failing") == 0 ||
                                    strcmp(st, "error") == 0));
        else
                recovery = false;
        /* Where: a name when the event carries one, else its subject. */
        const char *name = json_string_value(json_object_get(d, "name"));
        if (!name)
                name = json_string_value(json_object_get(d, "area_name"));
        if (!name)
                name = json_string_value(json_object_get(d, "source"));
        const char *area = json_string_value(json_object_get(d, "area_code"));
        if (where)
                snprintf(f.where, sizeof(f.where), "%s", where);
        else if (name)
                snprintf(f.where, sizeof(f.where), "%s", name);
        else if (area)
                snprintf(f.where, sizeof(f.where), "地域 %s", area);
        else if (ev->subject && strncmp(ev->subject, "stations/", 9) == 0)
                snprintf(f.where, sizeof(f.where), "観測所 %s", ev->subject + 9);
        else
                snprintf(f.where, sizeof(f.where), "%s", ev->subject ? ev->subject : "");
        f.label = level_label_ja(lvl) ? level_label_ja(lvl) : "";
        f.action = level_action_ja(lvl) ? level_action_ja(lvl) : "";
        f.label_or_none = level_label_ja(lvl) ? level_label_ja(lvl) : "レベルなし";
        f.state = state_ja(st);
        const char *oname = json_string_value(json_object_get(d, "name_ja"));
        f.order =
            oname ? oname : (level_order_name_ja(lvl) ? level_order_name_ja(lvl) : "避難情報");

        const struct tmpl *t = tmpls;
        for (; t->type; t++)
                if (strcmp(t->type, ev->type) == 0 && t->recovery == recovery)
                        break;
        if (!t->type)
                for (t = tmpls; t->type; t++)
                        if (strcmp(t->type, ev->type) == 0)
                                break;
        struct buf subj, body;
        buf_init(&subj, 1024);
        buf_init(&body, 8192);
        if (ev->exercise)
                buf_puts(&subj, "【訓練】");
        expand(&subj, t->subject, &f);
        if (ev->exercise)
                buf_puts(&body, "【訓練】これは訓練です。\n");
        expand(&body, t->body, &f);
        char when[40] = "";
        if (time_format_jst(ev->at, when, sizeof(when)) == 0) {
                buf_puts(&body, "時刻: ");
                buf_puts(&body, when);
                buf_puts(&body, "\n");
        }
        if (ev->exercise)
                buf_puts(&body, "（訓練）\n");
        buf_puts(&body, "― Sonae（備え）\n");
        int rc = 0;
        m->subject = buf_steal(&subj, NULL);
        m->body = buf_steal(&body, NULL);
        if (!m->subject || !m->body)
                rc = -ENOMEM;
        m->type = ev->type;
        m->event_subj = ev->subject;
        m->event_id = ev->id;
        m->level = lvl;
        m->exercise = ev->exercise;
        m->recovery = recovery;
        buf_free(&subj);
        buf_free(&body);
        json_decref(d);
        if (rc < 0)
                notify_msg_clear(m);
        return rc;
}

void notify_msg_clear(struct notify_msg *m)
{
        if (!m)
                return;
        free((char *)m->subject);
        free((char *)m->body);
        m->subject = m->body = NULL;
}
