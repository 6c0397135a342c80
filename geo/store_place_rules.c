/* The rules of the collectors' and places' data that belong to no backend:
 * what JMA has in force per area (validation, order, comparison, the
 * alert.changed and area.level events), the camera events, and the order
 * of an area's rings.  Both backends call them, so the events and answers
 * read the same whichever store wrote them (docs/store.md). */
#include "store_backend.h"

#include "json.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_exercise_view(const struct store *st, int view)
{
        if (view == STORE_VIEW_PUBLIC && st->all_exercise)
                return STORE_VIEW_ALL;
        return view == STORE_VIEW_ALL || view == STORE_VIEW_PUBLIC ? view : STORE_VIEW_REAL;
}

/* ---- What is in force per area ----------------------------------------- */

static int cmp_kind(const void *a, const void *b)
{
        return strcmp(((const struct store_area_kind *)a)->code,
                      ((const struct store_area_kind *)b)->code);
}

int store_area_kinds_sorted(const struct store_area_kind *kinds, size_t n,
                            struct store_area_kind **sorted, int *level)
{
        *sorted = NULL;
        *level = LEVEL_NONE;
        if (n && !kinds)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!kinds[i].code || !kinds[i].name || !kinds[i].status ||
                    (kinds[i].level && !level_valid(kinds[i].level)))
                        return -EINVAL;
                if (kinds[i].level > *level)
                        *level = kinds[i].level;
        }
        *sorted = malloc((n ? n : 1) * sizeof(**sorted));
        if (!*sorted)
                return -ENOMEM;
        if (n)
                memcpy(*sorted, kinds, n * sizeof(**sorted));
        qsort(*sorted, n, sizeof(**sorted), cmp_kind);
        return 0;
}

bool store_area_kinds_same(const struct store_area_kind *a, size_t na,
                           const struct store_area_kind *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                if (strcmp(a[i].code, b[i].code) != 0 || strcmp(a[i].name, b[i].name) != 0 ||
                    strcmp(a[i].status, b[i].status) != 0 || a[i].level != b[i].level)
                        return false;
        }
        return true;
}

void store_area_kinds_free(struct store_area_kind *k, size_t n)
{
        for (size_t i = 0; k && i < n; i++) {
                free((char *)k[i].code);
                free((char *)k[i].name);
                free((char *)k[i].status);
        }
        free(k);
}

static void json_kinds(struct json_writer *w, const struct store_area_kind *k, size_t n)
{
        char t[32];
        json_arr_begin(w);
        for (size_t i = 0; i < n; i++) {
                json_obj_begin(w);
                json_key(w, "code");
                json_str(w, k[i].code);
                json_key(w, "name");
                json_str(w, k[i].name);
                json_key(w, "status");
                json_str(w, k[i].status);
                json_key(w, "level");
                if (k[i].level)
                        json_int(w, k[i].level);
                else
                        json_null_value(w);
                json_key(w, "issued_at");
                time_format_jst(k[i].issued_at, t, sizeof(t));
                json_str(w, t);
                json_obj_end(w);
        }
        json_arr_end(w);
}

int store_alert_changed_data(struct buf *out, const char *area_code, const char *area_name,
                             bool exercise, const struct store_area_kind *k, size_t n)
{
        struct json_writer w;
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "area_code");
        json_str(&w, area_code);
        json_key(&w, "area_name");
        json_str(&w, area_name);
        json_key(&w, "exercise");
        json_bool(&w, exercise);
        json_key(&w, "kinds");
        json_kinds(&w, k, n);
        json_obj_end(&w);
        return json_error(&w) ? -ENOMEM : 0;
}

void store_area_level_data(char data[160], const char *area_code, int from_level, int to_level,
                           bool exercise)
{
        char from[16] = "null", to[16] = "null";
        if (from_level)
                snprintf(from, sizeof(from), "%d", from_level);
        if (to_level)
                snprintf(to, sizeof(to), "%d", to_level);
        snprintf(data, 160, "{\"area_code\":\"%.7s\",\"from\":%s,\"to\":%s,\"exercise\":%s}",
                 area_code, from, to, exercise ? "true" : "false");
}

/* ---- Cameras ------------------------------------------------------------ */

static const char *const camera_states[] = {"ok", "stale", "frozen", "unknown"};

const char *store_camera_state_static(const char *state)
{
        for (size_t i = 0; state && i < 4; i++)
                if (strcmp(state, camera_states[i]) == 0)
                        return camera_states[i];
        return NULL;
}

void store_camera_image_event(int64_t station_id, int64_t image_id, int64_t captured_at,
                              char subject[40], char data[200])
{
        char t[32];
        snprintf(subject, 40, "stations/%lld", (long long)station_id);
        time_format_jst(captured_at, t, sizeof(t));
        snprintf(data, 200, "{\"station\":%lld,\"image\":%lld,\"captured_at\":\"%s\"}",
                 (long long)station_id, (long long)image_id, t);
}

void store_camera_state_event(int64_t station_id, const char *from, const char *to,
                              char subject[40], char data[160])
{
        snprintf(subject, 40, "stations/%lld", (long long)station_id);
        snprintf(data, 160, "{\"station\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
                 (long long)station_id, from, to);
}

/* ---- Rings -------------------------------------------------------------- */

static double ring_area(const struct store_ring *r)
{
        double a = 0;
        for (size_t i = 0; i + 1 < r->n; i++)
                a += r->lonlat[2 * i] * r->lonlat[2 * i + 3] -
                     r->lonlat[2 * i + 2] * r->lonlat[2 * i + 1];
        return fabs(a) / 2;
}

static int ring_cmp(const void *x, const void *y)
{
        double a = ring_area(x), b = ring_area(y);
        return a < b ? 1 : a > b ? -1 : 0;
}

void store_area_rings_sort(struct store_area_rings *r)
{
        if (r->n > 1)
                qsort(r->v, r->n, sizeof(*r->v), ring_cmp);
}
