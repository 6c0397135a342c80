/* The notifier engine: rules, hold-down, queue and delivery (notify.h). */
#include "notify.h"

#include "level.h"
#include "log.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOLDS     4096
#define MAX_SUBJ      128
#define DELIVER_BATCH 200

struct chan {
        const struct conf_instance *in;
        const struct notify_channel_type *type;
        void *state;
        struct notify_common common;
        const char *staff_to;
        bool failed_this_round;
};

/* What one rule last said about one subject. */
struct hold {
        int64_t rule_id;
        char subject[MAX_SUBJ];
        bool alerted;       /* the last message sent was the bad one */
        bool bad;           /* the subject's current condition */
        int alerted_level;  /* for escalations while alerted */
        int64_t changed_at; /* when bad last changed */
        int64_t event_id;   /* the event of that change */
};

struct notify_engine {
        const struct sonae_config *cfg;
        struct notify_engine_options opt;
        struct chan *chans;
        size_t n_chans;
        int64_t cursor;
        struct hold *holds;
        size_t n_holds;
        bool more_due; /* the last delivery was a full batch without failures */
};

static const char *const default_types[] = {
    "alert.changed",
    "area.level",
    "station.level",
    "station.state",
    "order.issued",
    "order.lifted",
    "notice.published",
    "source.health",
    "device.health",
    "camera.state",
    NULL,
};

static bool in_list(const char *const *l, const char *s)
{
        for (; *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

static int configure_chan(struct chan *c, const struct sonae_config *cfg, struct conf_diag *diag)
{
        const struct conf_instance *in = c->in;
        char section[160];
        snprintf(section, sizeof(section), "notify.%s", in->name ? in->name : "?");
        c->type = notify_channel_find(in->type);
        if (!c->type) {
                /* A type the config accepts but this build has no channel
                 * for. */
                conf_diag_add(diag, true, cfg->file, in->line, section, "type",
                              "channel type '%s' is not available in this build",
                              in->type ? in->type : "");
                return -EINVAL;
        }
        /* The common keys and staff_to go to the engine, the rest to the channel. */
        struct conf_kv *common = calloc(in->n_extra + 1, sizeof(*common));
        struct conf_instance own = *in;
        own.extra = calloc(in->n_extra + 1, sizeof(*own.extra));
        own.n_extra = 0;
        size_t nc = 0;
        int rc = -ENOMEM;
        if (!common || !own.extra)
                goto out;
        for (size_t i = 0; i < in->n_extra; i++) {
                const char *k = in->extra[i].key;
                if (strcmp(k, "exercise") == 0 || strcmp(k, "staff") == 0 ||
                    strcmp(k, "staff_to") == 0 || strcmp(k, "watchdog_silence") == 0 ||
                    strcmp(k, "watchdog_daemons") == 0)
                        common[nc++] = in->extra[i];
                else
                        own.extra[own.n_extra++] = in->extra[i];
        }
        rc = conf_apply_table(notify_common_options, &c->common, common, nc, cfg->dir, cfg->file,
                              section, diag);
        c->staff_to = c->common.staff_to;
        if (rc == 0)
                rc = c->type->configure(&own, cfg->dir, cfg->file, diag, &c->state);
out:
        free(common);
        free(own.extra);
        return rc;
}

int notify_engine_create(const struct sonae_config *cfg, const struct notify_engine_options *opt,
                         struct store *st, struct conf_diag *diag, struct notify_engine **out)
{
        *out = NULL;
        struct notify_engine *e = calloc(1, sizeof(*e));
        int rc = -ENOMEM;
        if (!e)
                goto out;
        e->cfg = cfg;
        if (opt)
                e->opt = *opt;
        if (e->opt.hold_down_s <= 0)
                e->opt.hold_down_s = 300;
        if (e->opt.max_attempts <= 0)
                e->opt.max_attempts = 8;
        if (e->opt.backoff_s <= 0)
                e->opt.backoff_s = 30;
        e->chans = calloc(cfg->n_notifiers + 1, sizeof(*e->chans));
        e->holds = calloc(MAX_HOLDS, sizeof(*e->holds));
        if (!e->chans || !e->holds)
                goto out;
        rc = 0;
        for (size_t i = 0; i < cfg->n_notifiers; i++) {
                struct chan *c = &e->chans[e->n_chans];
                c->in = &cfg->notifiers[i];
                /* A disabled channel is left alone, keys and all (the sample
                 * config ships one). */
                if (!c->in->enabled)
                        continue;
                int r = configure_chan(c, cfg, diag);
                if (r < 0) {
                        rc = r;
                        continue;
                }
                e->n_chans++;
        }
        if (rc < 0)
                goto out;
        if (st)
                rc = store_events_last_id(st, &e->cursor);
out:
        if (rc < 0) {
                notify_engine_free(e);
                return rc;
        }
        *out = e;
        return 0;
}

void notify_engine_free(struct notify_engine *e)
{
        if (!e)
                return;
        for (size_t i = 0; i < e->n_chans; i++) {
                if (e->chans[i].type && e->chans[i].type->destroy)
                        e->chans[i].type->destroy(e->chans[i].state);
                conf_table_free(notify_common_options, &e->chans[i].common);
        }
        free(e->chans);
        free(e->holds);
        free(e);
}

static struct chan *chan_named(struct notify_engine *e, const char *name)
{
        for (size_t i = 0; name && i < e->n_chans; i++)
                if (strcmp(e->chans[i].in->name, name) == 0)
                        return &e->chans[i];
        return NULL;
}

/* ---- What an event means ---------------------------------------------- */

enum kind {
        KIND_PLAIN, /* queued as it comes (orders, alerts, notices) */
        KIND_LEVEL, /* bad while the level is at or above the rule's */
        KIND_STATE, /* bad while the state is stale, offline, unknown, failing */
};

static enum kind event_kind(const char *type)
{
        if (strcmp(type, "station.level") == 0 || strcmp(type, "area.level") == 0)
                return KIND_LEVEL;
        if (strcmp(type, "station.state") == 0 || strcmp(type, "source.health") == 0 ||
            strcmp(type, "device.health") == 0 || strcmp(type, "camera.state") == 0)
                return KIND_STATE;
        return KIND_PLAIN;
}

static int json_level(json_t *v)
{
        return json_is_integer(v) ? (int)json_integer_value(v) : LEVEL_NONE;
}

/* The "to" side of a state event: a state name, or source.health's state. */
static const char *state_to(json_t *d)
{
        const char *s = json_string_value(json_object_get(d, "to"));
        if (!s)
                s = json_string_value(json_object_get(d, "state"));
        return s;
}

static bool state_bad(const char *s)
{
        if (!s)
                return false;
        return strcmp(s, "stale") == 0 || strcmp(s, "offline") == 0 || strcmp(s, "unknown") == 0 ||
               strcmp(s, "failing") == 0 || strcmp(s, "error") == 0;
}

/* Whether the event counts as bad for a rule of min_level. */
static bool event_bad(const struct store_event *ev, json_t *d, int min_level)
{
        if (event_kind(ev->type) == KIND_LEVEL) {
                int to = json_level(json_object_get(d, "to"));
                if (to == LEVEL_NONE)
                        to = ev->level;
                return to >= min_level;
        }
        return state_bad(state_to(d));
}

static bool rule_matches(const struct notify_engine *e, const struct store_notify_rule *r,
                         const struct chan *c, const struct store_event *ev, json_t *d)
{
        (void)e;
        if (!r->enabled || !c || !c->in->enabled)
                return false;
        /* Drills and demos reach only channels marked for exercises. */
        if (ev->exercise && !c->common.exercise)
                return false;
        /* Residents' rules see only public events. */
        if (!r->staff && !ev->is_public)
                return false;
        json_t *types = r->event_types ? json_loads(r->event_types, 0, NULL) : NULL;
        bool typed = json_is_array(types) && json_array_size(types) > 0;
        bool ok = !typed && in_list(default_types, ev->type);
        if (typed) {
                size_t i;
                json_t *t;
                json_array_foreach(types, i, t) if (json_is_string(t) &&
                                                    strcmp(json_string_value(t), ev->type) == 0)
                    ok = true;
        }
        json_decref(types);
        if (!ok)
                return false;
        /* A withdrawn notice tells screens to drop it; it is no news to send. */
        if (strcmp(ev->type, "notice.published") == 0 &&
            json_is_true(json_object_get(d, "withdrawn")))
                return false;
        if (r->area_code && *r->area_code) {
                const char *a = json_string_value(json_object_get(d, "area_code"));
                if (!a || strcmp(a, r->area_code) != 0)
                        return false;
        }
        if (r->district_id > 0) {
                /* A district's rule gets its district's events and those for
                 * the whole area (no district in the data). */
                json_t *dv = json_object_get(d, "district_id");
                if (json_is_integer(dv) && json_integer_value(dv) > 0 &&
                    json_integer_value(dv) != r->district_id)
                        return false;
        }
        /* Plain events with a level (orders, alerts) must reach the rule's. */
        if (event_kind(ev->type) == KIND_PLAIN && ev->level != LEVEL_NONE &&
            ev->level < r->min_level && strcmp(ev->type, "order.lifted") != 0)
                return false;
        return true;
}

static struct hold *hold_for(struct notify_engine *e, int64_t rule_id, const char *subject)
{
        for (size_t i = 0; i < e->n_holds; i++)
                if (e->holds[i].rule_id == rule_id && strcmp(e->holds[i].subject, subject) == 0)
                        return &e->holds[i];
        if (e->n_holds == MAX_HOLDS)
                return NULL;
        struct hold *h = &e->holds[e->n_holds++];
        memset(h, 0, sizeof(*h));
        h->rule_id = rule_id;
        snprintf(h->subject, sizeof(h->subject), "%s", subject);
        return h;
}

static int enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now,
                   unsigned *queued)
{
        int rc = store_notify_enqueue(st, rule_id, event_id, now);
        if (rc == 0 && queued)
                (*queued)++;
        return rc;
}

/* Recoveries that have held long enough. */
static int mature_holds(struct notify_engine *e, struct store *st, int64_t now, unsigned *queued)
{
        int rc = 0;
        for (size_t i = 0; i < e->n_holds; i++) {
                struct hold *h = &e->holds[i];
                if (h->alerted && !h->bad && now - h->changed_at >= e->opt.hold_down_s) {
                        int r = enqueue(st, h->rule_id, h->event_id, now, queued);
                        if (r < 0)
                                rc = r;
                        h->alerted = false;
                        h->alerted_level = LEVEL_NONE;
                }
        }
        return rc;
}

int notify_engine_scan(struct notify_engine *e, struct store *st, int64_t now_s, unsigned *queued)
{
        struct store_notify_rule_list rules = {0};
        struct store_event_list evs = {0};
        int rc = store_notify_rules_list(st, &rules);
        if (rc < 0)
                goto out;
        for (;;) {
                rc = store_events_after(st, e->cursor, 500, false, &evs);
                if (rc < 0 || evs.n == 0)
                        break;
                for (size_t i = 0; i < evs.n; i++) {
                        const struct store_event *ev = &evs.v[i];
                        e->cursor = ev->id;
                        json_t *d = json_loads(ev->data ? ev->data : "{}", 0, NULL);
                        for (size_t j = 0; j < rules.n; j++) {
                                const struct store_notify_rule *r = &rules.v[j];
                                if (!rule_matches(e, r, chan_named(e, r->channel), ev, d))
                                        continue;
                                enum kind k = event_kind(ev->type);
                                if (k == KIND_PLAIN) {
                                        rc = enqueue(st, r->id, ev->id, now_s, queued);
                                        continue;
                                }
                                struct hold *h = hold_for(e, r->id, ev->subject ? ev->subject : "");
                                if (!h)
                                        continue;
                                bool bad = event_bad(ev, d, r->min_level);
                                int lvl = json_level(json_object_get(d, "to"));
                                if (bad != h->bad) {
                                        h->bad = bad;
                                        h->changed_at = ev->at > 0 ? ev->at : now_s;
                                        h->event_id = ev->id;
                                }
                                if (bad && !h->alerted) {
                                        /* The first bad change goes out at once. */
                                        rc = enqueue(st, r->id, ev->id, now_s, queued);
                                        h->alerted = true;
                                        h->alerted_level = lvl;
                                } else if (bad && k == KIND_LEVEL && lvl > h->alerted_level) {
                                        /* A further rise is news, not flapping. */
                                        rc = enqueue(st, r->id, ev->id, now_s, queued);
                                        h->alerted_level = lvl;
                                }
                        }
                        json_decref(d);
                }
                store_event_list_free(&evs);
                memset(&evs, 0, sizeof(evs));
        }
        if (rc >= 0)
                rc = mature_holds(e, st, now_s, queued);
out:
        store_event_list_free(&evs);
        store_notify_rule_list_free(&rules);
        return rc < 0 ? rc : 0;
}

/* ---- Delivery --------------------------------------------------------- */

static const struct store_notify_rule *rule_by_id(const struct store_notify_rule_list *l,
                                                  int64_t id)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].id == id)
                        return &l->v[i];
        return NULL;
}

int notify_engine_deliver(struct notify_engine *e, struct store *st, int64_t now_s, unsigned *sent,
                          unsigned *failed)
{
        struct store_notify_rule_list rules = {0};
        struct store_notify_item_list items = {0};
        for (size_t i = 0; i < e->n_chans; i++)
                e->chans[i].failed_this_round = false;
        int rc = store_notify_rules_list(st, &rules);
        if (rc == 0)
                rc = store_notify_due(st, now_s, DELIVER_BATCH, &items);
        e->more_due = false;
        if (rc < 0)
                goto out;
        for (size_t i = 0; i < items.n; i++) {
                const struct store_notify_item *it = &items.v[i];
                const struct store_notify_rule *r = rule_by_id(&rules, it->rule_id);
                struct chan *c = r ? chan_named(e, r->channel) : NULL;
                if (!c || !c->in->enabled) {
                        store_notify_mark(st, it->id, "dead", now_s, "channel not configured");
                        continue;
                }
                if (c->failed_this_round) {
                        /* Retried next round; the others go on. */
                        store_notify_release(st, it->id, now_s);
                        continue;
                }
                struct store_event_list ev = {0};
                if (store_events_after(st, it->event_id - 1, 1, false, &ev) < 0 || ev.n == 0 ||
                    ev.v[0].id != it->event_id) {
                        store_event_list_free(&ev);
                        store_notify_mark(st, it->id, "dead", now_s, "event not found");
                        continue;
                }
                struct notify_msg m = {0};
                char why[256] = "";
                /* A station is named by its name, not its id. */
                struct store_latest_list sl = {0};
                const char *where = NULL;
                const char *sj = ev.v[0].subject;
                if (sj && strncmp(sj, "stations/", 9) == 0 &&
                    store_latest_get(st, strtoll(sj + 9, NULL, 10), now_s, &sl) == 0 && sl.n)
                        where = sl.v[0].name;
                int r2 = notify_render(&ev.v[0], r->min_level, where, &m);
                if (r2 == 0)
                        r2 = c->type->send(c->state, r->target, &m, why, sizeof(why));
                if (r2 == NOTIFY_TARGET_GONE) {
                        /* The subscription no longer exists at the push
                         * service: the rule goes, its queue with it. */
                        store_notify_rule_delete(st, r->id);
                        log_info("notify: %s via %s: rule %lld removed: %s", ev.v[0].type,
                                 c->in->name, (long long)it->rule_id, why);
                } else if (r2 == 0) {
                        store_notify_mark(st, it->id, "sent", now_s, NULL);
                        log_info("notify: %s via %s: event %lld sent (rule %lld)", ev.v[0].type,
                                 c->in->name, (long long)it->event_id, (long long)it->rule_id);
                        if (sent)
                                (*sent)++;
                } else {
                        c->failed_this_round = !c->type->per_target_failures;
                        int attempts = it->attempts + 1;
                        int64_t delay = e->opt.backoff_s;
                        for (int a = 1; a < attempts && delay < 3600; a++)
                                delay *= 2;
                        if (delay > 3600)
                                delay = 3600;
                        const char *state = attempts >= e->opt.max_attempts ? "dead" : "failed";
                        store_notify_mark(st, it->id, state, now_s + delay,
                                          why[0] ? why : "send failed");
                        log_warn("notify: %s via %s: event %lld %s after %d attempts: %s",
                                 ev.v[0].type, c->in->name, (long long)it->event_id, state,
                                 attempts, why[0] ? why : "send failed");
                        if (failed)
                                (*failed)++;
                }
                notify_msg_clear(&m);
                store_latest_list_free(&sl);
                store_event_list_free(&ev);
        }
        bool any_failed = false;
        for (size_t i = 0; i < e->n_chans; i++)
                any_failed = any_failed || e->chans[i].failed_this_round;
        e->more_due = items.n == DELIVER_BATCH && !any_failed;
out:
        store_notify_item_list_free(&items);
        store_notify_rule_list_free(&rules);
        return rc;
}

bool notify_engine_more_due(const struct notify_engine *e)
{
        return e->more_due;
}

int notify_engine_staff_direct(struct notify_engine *e, const char *subject, const char *body)
{
        struct notify_msg m = {.subject = subject, .body = body, .type = "watchdog"};
        int reached = 0;
        for (size_t i = 0; i < e->n_chans; i++) {
                struct chan *c = &e->chans[i];
                if (!c->in->enabled || !c->common.staff || !c->staff_to)
                        continue;
                char why[256] = "";
                if (c->type->send(c->state, c->staff_to, &m, why, sizeof(why)) == 0)
                        reached++;
                else
                        log_warn("notify: watchdog via %s failed: %s", c->in->name, why);
        }
        return reached > 0 ? reached : -EIO;
}

int64_t notify_engine_watchdog_silence_s(const struct notify_engine *e)
{
        int64_t best = 0;
        for (size_t i = 0; i < e->n_chans; i++) {
                const struct chan *c = &e->chans[i];
                int64_t s = c->common.watchdog_silence * 60;
                if (c->in->enabled && c->common.staff && s > 0 && (best == 0 || s < best))
                        best = s;
        }
        return best;
}

size_t notify_engine_watchdog_daemons(const struct notify_engine *e, char names[][32], size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < e->n_chans; i++) {
                const struct chan *c = &e->chans[i];
                if (!c->in->enabled || !c->common.staff || !c->common.watchdog_daemons)
                        continue;
                char *list = strdup(c->common.watchdog_daemons);
                for (char *save = NULL, *d = list ? strtok_r(list, " ,", &save) : NULL; d;
                     d = strtok_r(NULL, " ,", &save)) {
                        bool seen = false;
                        for (size_t k = 0; k < n; k++)
                                seen = seen || strcmp(names[k], d) == 0;
                        if (!seen && n < max && strlen(d) < 32)
                                snprintf(names[n++], 32, "%s", d);
                }
                free(list);
        }
        return n;
}

const char *notify_engine_data_dir(const struct notify_engine *e)
{
        return e->cfg->data.dir;
}

int notify_engine_send_one(struct notify_engine *e, const char *channel, const char *target,
                           const struct notify_msg *m, char *why, size_t why_len)
{
        struct chan *c = chan_named(e, channel);
        if (!c) {
                snprintf(why, why_len, "no enabled channel [notify.%s]", channel);
                return -ENOENT;
        }
        if (!target)
                target = c->staff_to;
        if (!target) {
                snprintf(why, why_len, "no target given and no staff_to on [notify.%s]", channel);
                return -EINVAL;
        }
        return c->type->send(c->state, target, m, why, why_len);
}
