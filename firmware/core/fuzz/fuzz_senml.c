/* libFuzzer harness for the SenML pack decoder (what sonae-ingestd runs on
 * every message).  A pack that decodes must re-encode and decode to the
 * same readings: the encoder and decoder share one definition. */
#include "senml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct senml_pack a, b;
static char out[SENML_MAX_PACK + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct senml_enc e;
        size_t len = 0;
        unsigned i, added = 0;
        if (senml_decode((const char *)data, size, &a) < 0)
                return 0;
        if (senml_enc_begin(&e, out, sizeof(out), a.device, a.r[0].t, a.epoch) < 0)
                abort();
        for (i = 0; i < a.n; i++) {
                /* Values the decoder accepted may not fit the encoder's
                 * byte cap: stop there, as the node would start a new pack. */
                if (senml_enc_add(&e, &a.r[i]) < 0)
                        break;
                added++;
        }
        if (added == 0)
                return 0;
        if (senml_enc_finish(&e, &len) < 0 || senml_decode(out, len, &b) < 0)
                abort();
        if (b.n != added || b.epoch != a.epoch || strcmp(a.device, b.device) != 0)
                abort();
        for (i = 0; i < added; i++) {
                const struct senml_reading *x = &a.r[i], *y = &b.r[i];
                if (x->seq != y->seq || x->t != y->t || x->has != y->has ||
                    ((x->has & SENML_HAS_DIST) && x->dist_u != y->dist_u) ||
                    ((x->has & SENML_HAS_TEMP) && x->temp_u != y->temp_u))
                        abort();
        }
        return 0;
}
