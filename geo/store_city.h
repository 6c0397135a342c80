/* The store: what the city's people write — users and the audit log,
 * field reports, evacuation orders, notices, residents' timelines and the
 * notification rules and queue.  None of it can be collected again: it is
 * what backups are for (docs/store.md).  Conventions as in store.h. */
#ifndef SONAE_STORE_CITY_H
#define SONAE_STORE_CITY_H

#include "store.h"

/* ---- Users ------------------------------------------------------------- */

struct store_user {
        int64_t id;
        const char *name; /* login: [A-Za-z0-9._@-]{1,64} */
        const char *display_name;
        const char *role;          /* viewer | editor | admin | shelter_operator */
        const char *password_hash; /* an Argon2id encoded hash, never a password */
        bool disabled;
        int64_t *shelter_ids; /* shelter_operator scope; owned by lists */
        size_t n_shelters;
};
/* Adds a user with the given shelters (-EEXIST when the name is taken). */
int store_user_add(struct store *st, const struct store_user *u, int64_t *id);
int store_user_set_password(struct store *st, int64_t id, const char *password_hash);
int store_user_set_disabled(struct store *st, int64_t id, bool disabled);
struct store_user_list {
        struct store_user *v;
        size_t n;
};
/* By login name: one row or -ENOENT. */
int store_user_get(struct store *st, const char *name, struct store_user_list *out);
int store_users_list(struct store *st, struct store_user_list *out);
void store_user_list_free(struct store_user_list *l);

/* ---- Staff sessions ---------------------------------------------------- */

/* A login session, shared by every portal instance.  Only the keyed hash
 * of the session id is stored (the id itself lives in the cookie). */
struct store_session {
        int64_t id;
        int64_t user_id;
        const char *user_name; /* the user's login, read with the session */
        const char *csrf;      /* the session's CSRF token */
        int64_t created_at, last_seen_at, expires_at;
};
struct store_session_list {
        struct store_session *v;
        size_t n;
};
/* Records a new session of a user; -EEXIST when the hash is taken. */
int store_session_add(struct store *st, const unsigned char token_hash[32], int64_t user_id,
                      const char *csrf, int64_t created_at, int64_t expires_at);
/* The live session of token_hash at `now` (not expired, its user not
 * disabled): out holds one row, or -ENOENT. */
int store_session_get(struct store *st, const unsigned char token_hash[32], int64_t now,
                      struct store_session_list *out);
/* Sets last_seen_at; -ENOENT when the session is gone. */
int store_session_touch(struct store *st, const unsigned char token_hash[32], int64_t now);
/* Ends one session (logout); -ENOENT when there was none. */
int store_session_delete(struct store *st, const unsigned char token_hash[32]);
/* Removes the sessions expired at `now`; *removed (may be NULL). */
int store_sessions_purge(struct store *st, int64_t now, size_t *removed);
void store_session_list_free(struct store_session_list *l);
/* store_user_set_password() and store_user_set_disabled(…, true) also end
 * every session of the user, in the same transaction. */

/* ---- Audit log (append-only) ------------------------------------------- */

struct store_audit {
        int64_t id, at;
        int64_t user_id; /* or 0 */
        const char *actor, *action, *object;
        const char *before_json, *after_json; /* may be NULL */
};
int store_audit_add(struct store *st, int64_t user_id, const char *actor, const char *action,
                    const char *object, const char *before_json, const char *after_json);
struct store_audit_list {
        struct store_audit *v;
        size_t n;
};
/* Entries with id > after_id, oldest first, at most limit (0: 1000). */
int store_audit_list(struct store *st, int64_t after_id, size_t limit,
                     struct store_audit_list *out);
/* What to read of the audit log; zero fields do not filter. */
struct store_audit_filter {
        int64_t from, to;   /* at in [from, to) */
        const char *actor;  /* who: the login name, "cli", ... */
        const char *object; /* an entity: "order:12" exactly, or a kind ("order") for
                             * every "order:…" and "order" itself */
        int64_t before_id;  /* paging: only entries with id < before_id */
        size_t limit;       /* 0: 100 */
};
/* Entries that pass the filter, newest first. */
int store_audit_query(struct store *st, const struct store_audit_filter *f,
                      struct store_audit_list *out);
void store_audit_list_free(struct store_audit_list *l);

/* ---- Field reports ----------------------------------------------------- */

struct store_report {
        int64_t id;
        int64_t created_at, updated_at;
        double lon, lat;
        const char *category;
        int severity; /* 1-3 */
        const char *text;
        const char *status; /* new | confirmed | handled */
        bool is_public, exercise;
        int64_t user_id;          /* or 0 */
        const char **photo_paths; /* owned by lists; relative to [data] dir */
        size_t n_photos;
};
/* Creates a report (status new) and emits `report.created`, public only
 * when the report is. */
int store_report_create(struct store *st, const struct store_report *r, int64_t *id);
/* Adds a photo (at most 3 per report: the fourth is -EINVAL). */
int store_report_add_photo(struct store *st, int64_t report_id, const char *path,
                           const char *content_type, int64_t bytes);
/* Changes status and publication; emits `report.updated`. */
int store_report_update(struct store *st, int64_t id, const char *status, bool is_public);
struct store_report_list {
        struct store_report *v;
        size_t n;
};
/* Newest first; public_only for public endpoints. */
int store_reports_list(struct store *st, bool public_only, size_t limit,
                       struct store_report_list *out);
void store_report_list_free(struct store_report_list *l);

/* ---- Evacuation orders ------------------------------------------------- */

struct store_order {
        int64_t id;
        int level;             /* 3 高齢者等避難, 4 避難指示, 5 緊急安全確保 */
        const char *hazard;    /* flood | landslide | ... | other */
        const char *area_code; /* or NULL with a district */
        int64_t district_id;   /* or 0 with an area */
        const char *reason;    /* may be NULL */
        int64_t issued_at, lifted_at; /* lifted_at 0 while in force */
        bool exercise;
        int64_t user_id; /* or 0 */
};
/* Issues an order and emits `order.issued` (with area.level effects read
 * through store_area_status_list). */
int store_order_issue(struct store *st, const struct store_order *o, int64_t *id);
/* Lifts an order in force and emits `order.lifted`; -ENOENT if none. */
int store_order_lift(struct store *st, int64_t id, int64_t lifted_at);
struct store_order_list {
        struct store_order *v;
        size_t n;
};
/* What store_exercise_clear removed. */
struct store_exercise_removed {
        int64_t areas, alerts, telegrams, orders, notices;
        /* The drill's own stations (store_station.exercise) and what they
         * held: observations and camera images. */
        int64_t stations, observations, images;
        /* The removed images' files (and thumbnails), relative to [data]
         * dir, for the caller to delete; owned by the struct
         * (store_exercise_removed_free). */
        char **files;
        size_t n_files;
};
/* Frees files; accepts NULL. */
void store_exercise_removed_free(struct store_exercise_removed *r);
/* Removes a drill's data: every row marked exercise (alerts, area status
 * and kinds, orders, notices), the 訓練 telegrams of the JMA ledger and the
 * raw documents only they used, in one transaction; emits alert.changed
 * per exercise area and order.lifted per exercise order in force (both
 * exercise, data {"removed":"drill"}).  The drill's stations go with their
 * observations, status, images, their sources' health rows and their
 * events not held by a notification's delivery record, with one
 * station.state per station
 * (exercise, data {"removed":"drill"}) for the screens.  Real (通常) data
 * and real stations are not touched.  out is zeroed first; free it with
 * store_exercise_removed_free, also after an error. */
int store_exercise_clear(struct store *st, struct store_exercise_removed *out);
/* Records a drill that starts now (`sonae drill start`): its scenario
 * (borrowed), whether residents see it (is_public) and its areas (borrowed,
 * comma-separated JMA area codes); *id is the drill's row.  Emits
 * alert.changed per area (exercise, data {"drill":"started"}) so that the
 * portal's caches drop.  store_exercise_clear ends every running drill. */
int store_drill_begin(struct store *st, const char *scenario, bool is_public, const char *areas,
                      int64_t *id);
/* *on: whether residents see a drill now (a --public drill runs, or the
 * store is the demo's, all_exercise). */
int store_drill_public(struct store *st, bool *on);
/* Whether a reader with view (enum store_exercise_view, store_sources.h)
 * sees drill (exercise) data of an area, or of a district (area_code NULL,
 * district_id > 0: its area's): STORE_VIEW_ALL always, STORE_VIEW_REAL
 * never, STORE_VIEW_PUBLIC while a running --public drill names the area
 * (every area in the demo's store, all_exercise).  A store that cannot
 * tell (an error, a backend without drills) shows nothing. */
bool store_exercise_shown(struct store *st, int view, const char *area_code, int64_t district_id);
/* Orders in force (all_history false) or all, newest first. */
int store_orders_list(struct store *st, bool all_history, struct store_order_list *out);
void store_order_list_free(struct store_order_list *l);

/* ---- Notices ----------------------------------------------------------- */

struct store_notice {
        int64_t id;
        const char *category; /* shelter_open | road_closed | water_supply | power | info | other */
        const char *area_code; /* may be NULL */
        int64_t district_id;   /* or 0 */
        const char *title_ja, *text_ja;
        int64_t valid_from, valid_to; /* valid_to 0: until withdrawn */
        bool is_public, exercise;
        int64_t user_id;
};
/* Publishes a notice and emits `notice.published`. */
int store_notice_publish(struct store *st, const struct store_notice *n, int64_t *id);
/* Ends a notice's validity at `at`. */
int store_notice_withdraw(struct store *st, int64_t id, int64_t at);
struct store_notice_list {
        struct store_notice *v;
        size_t n;
};
/* Notices in force at `now`; public_only for public endpoints. */
int store_notices_in_force(struct store *st, int64_t now, bool public_only,
                           struct store_notice_list *out);
void store_notice_list_free(struct store_notice_list *l);

/* ---- Timelines (マイ・タイムライン) --------------------------------------- */

/* Only ciphertext and metadata: the token itself never reaches the store,
 * only its 32-byte hash. */
struct store_timeline {
        int64_t id;
        unsigned char token_hash[32];
        int64_t district_id;  /* or 0 */
        unsigned levels_mask; /* bit L set: actions for level L (1-5) */
        unsigned char *nonce; /* owned by the row in output */
        size_t nonce_len;
        unsigned char *ciphertext;
        size_t ciphertext_len;
        int64_t created_at, updated_at;
};
/* Creates or replaces the timeline of a token hash. */
int store_timeline_put(struct store *st, const unsigned char token_hash[32], int64_t district_id,
                       unsigned levels_mask, const void *nonce, size_t nonce_len,
                       const void *ciphertext, size_t ciphertext_len);
/* -ENOENT when there is none for the hash.  Free with store_timeline_free. */
int store_timeline_get(struct store *st, const unsigned char token_hash[32],
                       struct store_timeline *out);
void store_timeline_free(struct store_timeline *t);
int store_timeline_delete(struct store *st, const unsigned char token_hash[32]);
/* Removes plans untouched since `before`; *removed may be NULL. */
int store_timelines_expire(struct store *st, int64_t before, size_t *removed);

struct store_timeline_stat {
        int64_t district_id; /* 0: no district */
        int64_t plans;
        int64_t per_level[6]; /* index 1-5 */
};
struct store_timeline_stat_list {
        struct store_timeline_stat *v;
        size_t n;
};
/* Counts per district (raw; the caller suppresses cells under 5). */
int store_timeline_stats(struct store *st, struct store_timeline_stat_list *out);
void store_timeline_stat_list_free(struct store_timeline_stat_list *l);

/* ---- Notification rules and queue -------------------------------------- */

struct store_notify_rule {
        int64_t id;
        const char *channel;   /* a [notify.NAME] */
        const char *target;    /* address, endpoint or LINE id: never logged */
        const char *area_code; /* may be NULL */
        int64_t district_id;   /* or 0 */
        int min_level;
        const char *event_types; /* JSON array of event types; NULL: [] (all) */
        bool staff, enabled;
};
int store_notify_rule_add(struct store *st, const struct store_notify_rule *r, int64_t *id);
int store_notify_rule_delete(struct store *st, int64_t id);
struct store_notify_rule_list {
        struct store_notify_rule *v;
        size_t n;
};
int store_notify_rules_list(struct store *st, struct store_notify_rule_list *out);
void store_notify_rule_list_free(struct store_notify_rule_list *l);

/* Queues the event for the rule once (idempotent on rule and event). */
int store_notify_enqueue(struct store *st, int64_t rule_id, int64_t event_id, int64_t now);
struct store_notify_item {
        int64_t id, rule_id, event_id;
        int attempts;
        int64_t next_try_at;
        const char *state;
};
struct store_notify_item_list {
        struct store_notify_item *v;
        size_t n;
};
/* How long a notifier's claim on the items it took holds (seconds): its
 * marks end the claim sooner; when it dies before it marks them, they are
 * due again after this. */
#define STORE_NOTIFY_CLAIM_S 900
/* Takes the pending or failed items due at `now`, oldest first, and claims
 * them: another notifier on the same store does not get them until their
 * claim ends at now + STORE_NOTIFY_CLAIM_S (a mark or a release ends it
 * sooner).  Two notifiers at once take disjoint items. */
int store_notify_due(struct store *st, int64_t now, size_t limit,
                     struct store_notify_item_list *out);
/* Gives back an item taken and not tried: due again at `now`. */
int store_notify_release(struct store *st, int64_t id, int64_t now);
/* state: sent | failed (retry at next_try_at) | dead; error may be NULL. */
int store_notify_mark(struct store *st, int64_t id, const char *state, int64_t next_try_at,
                      const char *error);
void store_notify_item_list_free(struct store_notify_item_list *l);

#endif
