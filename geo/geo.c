/* Geo lookups: dispatch to the backend, and the list destructors. */
#include "geo.h"

#include "store_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DISPATCH(fn, ...) (st->ops->fn ? st->ops->fn(st, __VA_ARGS__) : -ENOTSUP)

int geo_hazard_at(struct store *st, double lon, double lat, int view, struct geo_hazard_answer *out)
{
        return DISPATCH(geo_hazard_at, lon, lat, view, out);
}

int geo_shelters_near(struct store *st, double lon, double lat, enum store_hazard h, size_t n,
                      struct geo_shelter_list *out)
{
        return DISPATCH(geo_shelters_near, lon, lat, h, n, out);
}

int geo_address_search(struct store *st, const char *text, size_t limit,
                       struct geo_address_list *out)
{
        return DISPATCH(geo_address_search, text, limit, out);
}

int geo_picker_districts(struct store *st, struct geo_pick_list *out)
{
        return st->ops->geo_picker_districts ? st->ops->geo_picker_districts(st, out) : -ENOTSUP;
}

int geo_picker_towns(struct store *st, const char *district_code, struct geo_address_list *out)
{
        return DISPATCH(geo_picker_towns, district_code, out);
}

int geo_area_code_upsert(struct store *st, const struct geo_area_code *c)
{
        return DISPATCH(geo_area_code_upsert, c);
}

int geo_address_upsert(struct store *st, const struct geo_address_in *a)
{
        return DISPATCH(geo_addresses_upsert, a, 1);
}

int geo_addresses_upsert(struct store *st, const struct geo_address_in *a, size_t n)
{
        if (n == 0)
                return 0;
        return a ? DISPATCH(geo_addresses_upsert, a, n) : -EINVAL;
}

int geo_addresses_assign_districts(struct store *st, size_t *n)
{
        return DISPATCH(geo_addresses_assign_districts, n);
}

int geo_count(struct store *st, const char *what, int64_t *n)
{
        return DISPATCH(geo_count, what, n);
}

const char *geo_count_sql(const char *what)
{
        static const struct {
                const char *what, *sql;
        } q[] = {
            {"addresses", "SELECT count(*) FROM addresses"},
            {"area_codes", "SELECT count(*) FROM area_codes"},
            {"areas", "SELECT count(*) FROM areas"},
            {"districts", "SELECT count(*) FROM districts"},
            {"shelters", "SELECT count(*) FROM shelters"},
            {"shelters_emergency", "SELECT count(*) FROM shelters WHERE kind = 'emergency'"},
            {"shelters_evacuation", "SELECT count(*) FROM shelters WHERE kind = 'evacuation'"},
            {"shelters_linked", "SELECT count(*) FROM shelters WHERE linked_id IS NOT NULL"},
        };
        for (size_t i = 0; what && i < sizeof(q) / sizeof(q[0]); i++)
                if (strcmp(what, q[i].what) == 0)
                        return q[i].sql;
        return NULL;
}

void geo_hazard_answer_free(struct geo_hazard_answer *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_areas; i++)
                free(a->areas[i]);
        free(a->areas);
        for (size_t i = 0; i < a->n_hazards; i++) {
                struct geo_hazard_hit *h = &a->hazards[i];
                free(h->layer);
                free(h->version);
                free(h->title);
                free(h->hazard);
                free(h->class_);
                free(h->label_ja);
        }
        free(a->hazards);
        free(a->area_code);
        free(a->area_name);
        free(a->lg_code);
        free(a->town_code);
        free(a->note_ja);
        free(a->district_code);
        free(a->district_name);
        memset(a, 0, sizeof(*a));
}

void geo_shelter_list_free(struct geo_shelter_list *l)
{
        if (!l)
                return;
        geo_shelter_list_free_items(l);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void geo_shelter_list_free_items(struct geo_shelter_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].common_id);
                free(l->v[i].name);
                free(l->v[i].address);
                free(l->v[i].linked_name);
                geo_route_free(l->v[i].route);
                free(l->v[i].route);
        }
}

void geo_address_list_free(struct geo_address_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].code);
                free(l->v[i].pref);
                free(l->v[i].city);
                free(l->v[i].town);
                free(l->v[i].label);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void geo_pick_list_free(struct geo_pick_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].code);
                free(l->v[i].name);
                free(l->v[i].kind);
                free(l->v[i].area_code);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}
