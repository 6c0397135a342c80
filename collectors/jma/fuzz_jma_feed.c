/* libFuzzer harness for the JMA Atom feed reader: any bytes either give a
 * list of entries with their links, or are refused with a reason. */
#include "jma_feed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct jma_feed f;
        char why[128];
        int rc = jma_feed_parse(data, size, &f, why, sizeof(why));
        if (rc < 0) {
                if (f.v || f.n || !why[0])
                        abort();
                return 0;
        }
        for (size_t i = 0; i < f.n; i++)
                if (!f.v[i].href || !f.v[i].title || !f.v[i].author ||
                    strlen(f.v[i].type) >= sizeof(f.v[i].type))
                        abort();
        jma_feed_free(&f);
        return 0;
}
