/* Staff authentication for the portal (docs/operations.md).
 *
 * Sessions live in the store (table sessions, holding the keyed hash of
 * the session id, never the id): a login sets the HttpOnly, SameSite=Lax
 * cookie "sonae_session" (Secure unless the client is on loopback without
 * a proxy, i.e. tests and local use) that lasts one shift
 * (AUTH_SESSION_S), across restarts of the portal and on every portal
 * instance using the store.  Every request re-reads the session and its
 * user from the store; `sonae user disable` or `passwd` deletes the user's
 * sessions, so they end at once.  Writes need the session's
 * CSRF token in the X-CSRF-Token header and, when the browser sends one, an
 * Origin of this site.  Wall screens use a display token (tokens.h):
 * read-only, revocable by deleting its line. */
#ifndef SONAE_PORTAL_AUTH_H
#define SONAE_PORTAL_AUTH_H

#include "http.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTH_SESSION_S     (12 * 3600) /* one shift */
#define AUTH_MAX_SHELTERS  32
#define AUTH_FAILS_ACCOUNT 5  /* failures before an account is slowed */
#define AUTH_FAILS_ADDRESS 20 /* failures before an address is slowed */

struct sonae_config;

enum auth_role {
        AUTH_NONE = 0,
        AUTH_DISPLAY,          /* the wall screen: read only */
        AUTH_VIEWER,           /* staff, read only */
        AUTH_SHELTER_OPERATOR, /* writes only its shelters' status */
        AUTH_EDITOR,
        AUTH_ADMIN,
};

struct auth_who {
        enum auth_role role;
        int64_t user_id; /* 0 for a display token */
        char name[80];   /* login, or "display:NAME" */
        char csrf[48];   /* the session's CSRF token ("" for display) */
        int64_t shelters[AUTH_MAX_SHELTERS];
        size_t n_shelters;
};

/* Takes [data] dir (display tokens) from cfg; called by portal_app_new. */
void portal_auth_configure(const struct sonae_config *cfg);
/* [data] dir/rel: where report photos live (outside the web root). */
int portal_data_path(const char *rel, char *out, size_t cap);

/* Who sends the request: a session cookie, a display token (Authorization:
 * Bearer or cookie sonae_display).  0, or -ENOENT (nobody), -EAGAIN (the
 * store is unavailable). */
int auth_identify(struct portal_req *req, struct auth_who *who);

/* The gate for handlers.  Allowed: returns 0 with *who filled.  Refused:
 * fills resp (401 nobody, 403 role, CSRF or cross-site, 503 store) and
 * returns 1; the handler then returns 0.  A write needs a session (never a
 * display token), the CSRF header and a same-site Origin. */
int auth_require(struct portal_req *req, struct portal_resp *resp, enum auth_role min, bool write,
                 struct auth_who *who);

/* Whether who may change the shelter's status. */
bool auth_may_shelter(const struct auth_who *who, int64_t shelter_id);

const char *auth_role_name(enum auth_role r);
enum auth_role auth_role_parse(const char *s);

/* Checks a password with the per-account and per-address limits.  0 and a
 * new session (its cookie written into resp, *who filled); or an HTTP
 * status: 401 wrong name or password, 429 slowed (*retry_s set), 503. */
int auth_login(struct portal_req *req, struct portal_resp *resp, const char *name,
               const char *password, struct auth_who *who, int *retry_s);
/* Ends the request's session and clears its cookie. */
void auth_logout(struct portal_req *req, struct portal_resp *resp);
/* Sets the display cookie when the token is listed; false otherwise. */
bool auth_display_login(struct portal_req *req, struct portal_resp *resp, const char *token,
                        struct auth_who *who);

#endif
