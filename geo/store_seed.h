/* `sonae db seed`: a representative, clearly labelled sample so the portal
 * and web front end can be built and tested before real collectors run.
 * Every seeded station has source "seed"; names start with 見本. */
#ifndef SONAE_STORE_SEED_H
#define SONAE_STORE_SEED_H

#include "store.h"

struct store_seed_counts {
        size_t stations, observations, alerts, areas, shelters, hazard_layers, reports, orders,
            notices;
};

/* Seeds the store as of `now` (UTC seconds): 100 stations in every state
 * and level, JMA alerts at each level in 鶴岡市 (0620300) and 酒田市
 * (0620400), shelters, two small hazard layers, field reports, an order
 * and a notice.  -EEXIST when the store is already seeded.  counts may be
 * NULL. */
int store_seed(struct store *st, int64_t now, struct store_seed_counts *counts);

#endif
