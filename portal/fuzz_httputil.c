/* libFuzzer harness for what the portal parses from a request before any
 * handler runs: query parameter checks of every type, bbox and datetime,
 * Accept / Accept-Encoding / If-None-Match, path safety, MIME lookup and
 * the OGC query.  The input is split at '\n' into the values. */
#include "httputil.h"
#include "ogc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        static const struct portal_param params[] = {
            {"s", PARAM_STRING, 0, 0, NULL, 300, NULL},
            {"i", PARAM_INT, -5, 100000, NULL, 0, NULL},
            {"n", PARAM_NUMBER, -90, 90, NULL, 0, NULL},
            {"b", PARAM_BBOX, 0, 0, NULL, 200, NULL},
            {"d", PARAM_DATETIME, 0, 0, NULL, 80, NULL},
            {"e", PARAM_ENUM, 0, 0, "json|csv", 0, NULL},
            {"id", PARAM_ID, 0, 0, NULL, 64, NULL},
        };
        char err[160];
        /* The whole input, NUL bytes included, as every parameter type. */
        for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
                (void)http_param_check(&params[i], (const char *)data, size, err, sizeof(err));
        const char *parts[4] = {"", "", "", ""};
        size_t np = 0;
        for (char *p = s; np < 4;) {
                parts[np++] = p;
                char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                p = nl + 1;
        }
        double bbox[4];
        int64_t a, b;
        (void)http_parse_bbox(parts[0], bbox);
        (void)http_parse_datetime(parts[0], &a, &b);
        (void)http_accepts_gzip(parts[0]);
        (void)http_accepts_csv(parts[1]);
        (void)http_etag_matches(parts[2], "\"0123456789abcdef\"");
        (void)http_path_safe(parts[3]);
        (void)http_mime_type(parts[3]);
        (void)http_name_is_hashed(parts[3]);
        (void)http_utf8_printable(parts[1], strlen(parts[1]));
        struct ogc_query q;
        (void)ogc_query_parse(parts[0], parts[1], parts[2], parts[3], &q, err, sizeof(err));
        char etag[40];
        http_etag_of(data, size, "-gz", etag, sizeof(etag));
        free(s);
        return 0;
}
