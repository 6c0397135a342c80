/* libFuzzer harness for what a resident's browser sends to
 * POST /api/v1/webpush/subscribe: the PushSubscription JSON (endpoint URL,
 * base64url keys, a point that must be on P-256) and the stored target
 * read back.  A subscription accepted must read back to the same endpoint. */
#include "webpush.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > WEBPUSH_BODY_MAX)
                return 0;
        /* The input as a stored target (up to a NUL), then as a request. */
        char *s = strndup((const char *)data, size);
        if (!s)
                return 0;
        free(notify_webpush_target_endpoint(s));
        json_t *o = json_loadb((const char *)data, size, 0, NULL);
        char *target = NULL, why[160];
        if (notify_webpush_subscription("127.0.0.1 .push.services.mozilla.com", o, &target, why,
                                        sizeof(why)) == 0) {
                char *ep = notify_webpush_target_endpoint(target);
                const char *want = json_string_value(json_object_get(o, "endpoint"));
                if (!ep || !want || strcmp(ep, want) != 0)
                        abort();
                free(ep);
        }
        free(target);
        json_decref(o);
        free(s);
        return 0;
}
