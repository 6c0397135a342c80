/* libFuzzer harness for the JMA parser: any bytes either parse into a report
 * that renders as JSON, or are refused with a reason; nothing else. */
#include "buf.h"
#include "jma_json.h"
#include "jma_parse.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct jma_report *r = NULL;
        struct jma_parse_error err;
        int rc = jma_parse(data, size, NULL, &r, &err);
        if (rc < 0) {
                /* A refusal always names its reason. */
                if (r || err.reason == JMA_REFUSED_NONE || !err.message[0])
                        abort();
                return 0;
        }
        /* Levels are 0 (null) or 1-5, and known codes agree with the table. */
        for (size_t i = 0; i < r->n_warnings; i++) {
                const struct jma_warning *w = &r->warnings[i];
                if (w->level < 0 || w->level > 5 || w->name_level < 0 || w->name_level > 5 ||
                    (!w->known && w->level != 0) || (w->level && !w->kind_code))
                        abort();
        }
        for (size_t i = 0; i < r->n_outlook; i++)
                if (r->outlook[i].level < 0 || r->outlook[i].level > 5)
                        abort();
        struct buf b = BUF_INIT(0);
        if (jma_report_json(r, &b) < 0)
                abort();
        buf_free(&b);
        jma_report_free(r);
        return 0;
}
