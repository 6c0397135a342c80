/* JSON bodies of staff writes, read and answered with jansson.  Also the
 * audit entry every write leaves.  (common/json.h's writer once had a
 * json_null() that shadowed jansson's at link time; it is now
 * json_null_value(), so both libraries can be used side by side.) */
#ifndef SONAE_PORTAL_REQJSON_H
#define SONAE_PORTAL_REQJSON_H

#include "auth.h"
#include "http.h"

#include <jansson.h>

struct store;

/* The request body as a JSON object (at most 64 KiB).  0 with *out (owned
 * by the caller), or 1 after answering 400/415 in resp. */
int req_json_object(struct portal_req *req, struct portal_resp *resp, json_t **out);
/* Writes v (stolen) as the answer with the status. */
int resp_json(struct portal_resp *resp, int status, json_t *v);
/* An audit entry for who; before and after are borrowed, may be NULL. */
int audit_json(struct store *st, const struct auth_who *who, const char *action, const char *object,
               json_t *before, json_t *after);
/* Optional string member: NULL when absent, -EINVAL (through *bad) when
 * not a string or longer than max bytes. */
const char *jstr(json_t *o, const char *key, size_t max, bool *bad);

#endif
