/* sonae notify list | add | delete | test: the notification rules and
 * channels for operators (docs/notifications.md).
 *
 *   list                        the channels of the config, the staff rules
 *                               in full, and residents' subscriptions as
 *                               counts per channel and district only (their
 *                               targets are personal data and not printed)
 *   add CHANNEL TARGET [--min-level N] [--area CODE] [--district ID]
 *       [--types JSON] [--resident]   a rule (a staff rule unless --resident)
 *   delete ID                   one rule
 *   test NAME [TARGET]          one 「【試験】」 message through the channel,
 *                               to TARGET or the channel's staff_to, outside
 *                               the queue; says what the peer answered */
#include "cli.h"
#include "config.h"
#include "notify.h"
#include "store.h"
#include "store_city.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_store(const struct sonae_config *cfg, struct store **st)
{
        int r = store_open_config(cfg, st);
        if (r < 0)
                fprintf(stderr, "sonae notify: cannot open the store: %s\n", store_strerror(r));
        return r;
}

struct count {
        const char *channel;
        int64_t district;
        int n;
};

static int list(const struct sonae_config *cfg)
{
        printf("channels:\n");
        for (size_t i = 0; i < cfg->n_notifiers; i++) {
                const struct conf_instance *in = &cfg->notifiers[i];
                const char *ex = conf_instance_get(in, "exercise");
                const char *sf = conf_instance_get(in, "staff");
                printf("  %-16s type=%-8s %s%s%s\n", in->name, in->type ? in->type : "?",
                       in->enabled ? "enabled" : "disabled",
                       ex && strcmp(ex, "true") == 0 ? " exercise" : "",
                       sf && strcmp(sf, "true") == 0 ? " staff" : "");
        }
        struct store *st = NULL;
        struct store_notify_rule_list l = {0};
        int rc = open_store(cfg, &st);
        if (rc == 0)
                rc = store_notify_rules_list(st, &l);
        if (rc < 0)
                goto out;
        printf("staff rules:\n");
        struct count *c = calloc(l.n + 1, sizeof(*c));
        size_t nc = 0;
        if (!c) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < l.n; i++) {
                const struct store_notify_rule *r = &l.v[i];
                if (!r->staff) {
                        size_t k = 0;
                        while (k < nc && !(strcmp(c[k].channel, r->channel) == 0 &&
                                           c[k].district == r->district_id))
                                k++;
                        if (k == nc)
                                c[nc++] = (struct count){r->channel, r->district_id, 0};
                        c[k].n++;
                        continue;
                }
                printf("  %-5lld %-16s %s  level>=%d%s%s types=%s%s\n", (long long)r->id,
                       r->channel, r->target, r->min_level, r->area_code ? " area=" : "",
                       r->area_code ? r->area_code : "", r->event_types,
                       r->enabled ? "" : " (disabled)");
        }
        printf("residents' subscriptions (counts):\n");
        for (size_t k = 0; k < nc; k++)
                if (c[k].district > 0)
                        printf("  %-16s district %lld: %d\n", c[k].channel,
                               (long long)c[k].district, c[k].n);
                else
                        printf("  %-16s whole city: %d\n", c[k].channel, c[k].n);
        free(c);
out:
        store_notify_rule_list_free(&l);
        store_close(st);
        return rc;
}

static int add(const struct sonae_config *cfg, int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: sonae notify add CHANNEL TARGET [--min-level N] [--area "
                                "CODE] [--district ID] [--types JSON] [--resident]\n");
                return -EINVAL;
        }
        struct store_notify_rule r = {
            .channel = argv[2], .target = argv[3], .min_level = 3, .staff = true, .enabled = true};
        for (int i = 4; i < argc; i++) {
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(argv[i], "--resident") == 0) {
                        r.staff = false;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "sonae notify add: %s needs a value\n", argv[i]);
                        return -EINVAL;
                }
                if (strcmp(argv[i], "--min-level") == 0)
                        r.min_level = (int)strtol(v, NULL, 10);
                else if (strcmp(argv[i], "--area") == 0)
                        r.area_code = v;
                else if (strcmp(argv[i], "--district") == 0)
                        r.district_id = strtoll(v, NULL, 10);
                else if (strcmp(argv[i], "--types") == 0)
                        r.event_types = v;
                else {
                        fprintf(stderr, "sonae notify add: unknown option %s\n", argv[i]);
                        return -EINVAL;
                }
                i++;
        }
        bool known = false;
        for (size_t i = 0; i < cfg->n_notifiers; i++)
                known = known || strcmp(cfg->notifiers[i].name, r.channel) == 0;
        if (!known || r.min_level < 1 || r.min_level > 5) {
                fprintf(stderr, "sonae notify add: %s\n",
                        known ? "--min-level is 1 to 5" : "no [notify.CHANNEL] of that name");
                return -EINVAL;
        }
        struct store *st = NULL;
        int64_t id = 0;
        int rc = open_store(cfg, &st);
        if (rc == 0 && (rc = store_notify_rule_add(st, &r, &id)) < 0)
                fprintf(stderr,
                        "sonae notify add: refused (area, district or types not valid): %s\n",
                        store_strerror(rc));
        if (rc == 0)
                printf("rule %lld\n", (long long)id);
        store_close(st);
        return rc;
}

static int del(const struct sonae_config *cfg, int argc, char **argv)
{
        char *end = NULL;
        long long id = argc == 3 ? strtoll(argv[2], &end, 10) : 0;
        if (id <= 0 || !end || *end) {
                fprintf(stderr, "usage: sonae notify delete ID\n");
                return -EINVAL;
        }
        struct store *st = NULL;
        int rc = open_store(cfg, &st);
        if (rc == 0 && (rc = store_notify_rule_delete(st, id)) < 0)
                fprintf(stderr, "sonae notify delete: rule %lld: %s\n", id, store_strerror(rc));
        if (rc == 0)
                printf("rule %lld deleted\n", id);
        store_close(st);
        return rc;
}

static int test(const struct sonae_config *cfg, int argc, char **argv)
{
        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: sonae notify test NAME [TARGET]\n");
                return -EINVAL;
        }
        struct conf_diag diag;
        conf_diag_init(&diag);
        struct notify_engine *e = NULL;
        int rc = notify_engine_create(cfg, NULL, NULL, &diag, &e);
        if (rc < 0) {
                fprintf(stderr, "%s", diag.text.data ? diag.text.data : "");
                conf_diag_free(&diag);
                return rc;
        }
        conf_diag_free(&diag);
        char body[512], why[256] = "";
        snprintf(body, sizeof(body),
                 "これは Sonae の通知経路 [notify.%s] の送信試験です。災害情報ではありません。\n"
                 "― Sonae（備え）\n",
                 argv[2]);
        struct notify_msg m = {.subject = "【試験】Sonae 通知の送信試験",
                               .body = body,
                               .type = "test",
                               .event_subj = "test",
                               .level = 0};
        rc = notify_engine_send_one(e, argv[2], argc == 4 ? argv[3] : NULL, &m, why, sizeof(why));
        if (rc < 0)
                fprintf(stderr, "sonae notify test: %s: %s\n", argv[2],
                        why[0] ? why : "send failed");
        else
                printf("sent through %s\n", argv[2]);
        notify_engine_free(e);
        return rc;
}

int cmd_notify(int argc, char **argv, const struct cli_common *common)
{
        const char *sub = argc > 1 ? argv[1] : "";
        struct sonae_config *cfg = NULL;
        if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "delete") &&
            strcmp(sub, "test")) {
                fprintf(stderr, "usage: sonae notify list | add CHANNEL TARGET [...] | delete ID "
                                "| test NAME [TARGET]\n");
                return 2;
        }
        if (daemon_load_config(common->config, NULL, &cfg) < 0)
                return 1;
        int rc = strcmp(sub, "list") == 0     ? list(cfg)
                 : strcmp(sub, "add") == 0    ? add(cfg, argc, argv)
                 : strcmp(sub, "delete") == 0 ? del(cfg, argc, argv)
                                              : test(cfg, argc, argv);
        conf_free(cfg);
        return rc < 0 ? 1 : 0;
}
