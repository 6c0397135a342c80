#include "scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "90", "90s", "15m", "2.5h", "1d", "7h30m" into story seconds. */
static int parse_time(const char *s, int64_t *out)
{
        double total = 0;
        int parts = 0;
        while (*s) {
                char *end;
                double v = strtod(s, &end), mul = 1;
                if (end == s || v < 0 || parts == 4)
                        return -1;
                if (*end == 's')
                        end++;
                else if (*end == 'm')
                        mul = 60, end++;
                else if (*end == 'h')
                        mul = 3600, end++;
                else if (*end == 'd')
                        mul = 86400, end++;
                else if (*end)
                        return -1;
                total += v * mul;
                parts++;
                s = end;
        }
        if (!parts)
                return -1;
        *out = (int64_t)(total + 0.5);
        return 0;
}

static int parse_milli(const char *s, int32_t *out)
{
        char *end;
        double v = strtod(s, &end);
        if (end == s || *end || v < -1e6 || v > 1e6)
                return -1;
        *out = (int32_t)(v * 1000.0 + (v < 0 ? -0.5 : 0.5));
        return 0;
}

static int add_point(struct sc_series *s, int64_t t, int32_t v)
{
        if (s->n == SC_POINTS || (s->n && t <= s->t[s->n - 1]))
                return -1;
        s->t[s->n] = t;
        s->v[s->n] = v;
        s->n++;
        return 0;
}

int scenario_load(struct scenario *sc, const char *path, char *err, size_t errcap)
{
        char line[256];
        unsigned lineno = 0;
        FILE *f = fopen(path, "r");
        memset(sc, 0, sizeof(*sc));
        sc->scale_milli = 1000;
        sc->noise_mm = 3;
        if (!f) {
                snprintf(err, errcap, "%s: %s", path, strerror(errno));
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                char *w[4] = {0};
                char *p = strchr(line, '#'), *save = NULL;
                unsigned nw = 0;
                int64_t t, t2;
                int32_t v;
                int bad = 0;
                lineno++;
                if (p)
                        *p = '\0';
                for (p = strtok_r(line, " \t\r\n", &save); p && nw < 4;
                     p = strtok_r(NULL, " \t\r\n", &save))
                        w[nw++] = p;
                if (nw == 0)
                        continue;
                if (strcmp(w[0], "scale") == 0 && nw == 2) {
                        /* Up to three decimals, so that a launcher can tell
                         * the story at any speed its own clock uses. */
                        bad = parse_milli(w[1], &v) || v < 1 || v > 100000000;
                        sc->scale_milli = (uint32_t)v;
                } else if (strcmp(w[0], "noise") == 0 && nw == 2) {
                        bad = parse_milli(w[1], &v) || v < 0 || v > 1000;
                        sc->noise_mm = v;
                } else if ((strcmp(w[0], "level") == 0 || strcmp(w[0], "battery") == 0 ||
                            strcmp(w[0], "temp") == 0 || strcmp(w[0], "signal") == 0) &&
                           nw == 3) {
                        struct sc_series *s = w[0][0] == 'l'   ? &sc->level
                                              : w[0][0] == 'b' ? &sc->batt
                                              : w[0][0] == 't' ? &sc->temp
                                                               : &sc->signal;
                        bad = parse_time(w[1], &t) || parse_milli(w[2], &v) || add_point(s, t, v);
                } else if ((strcmp(w[0], "outage") == 0 || strcmp(w[0], "sensor-dead") == 0) &&
                           nw == 3) {
                        struct sc_periods *q = w[0][0] == 'o' ? &sc->outage : &sc->sensor_dead;
                        bad = parse_time(w[1], &t) || parse_time(w[2], &t2) || t2 <= t ||
                              q->n == SC_PERIODS;
                        if (!bad) {
                                q->from[q->n] = t;
                                q->to[q->n] = t2;
                                q->n++;
                        }
                } else if (strcmp(w[0], "settings") == 0 && nw == 2) {
                        size_t l = strlen(w[1]);
                        bad = sc->n_settings == SC_SETTINGS || l >= sizeof(sc->settings[0]) ||
                              !strchr(w[1], '=');
                        if (!bad)
                                memcpy(sc->settings[sc->n_settings++], w[1], l + 1);
                } else {
                        bad = 1;
                }
                if (bad) {
                        snprintf(err, errcap, "%s:%u: cannot read this line", path, lineno);
                        fclose(f);
                        return -1;
                }
        }
        fclose(f);
        if (sc->level.n == 0) {
                snprintf(err, errcap, "%s: no level points", path);
                return -1;
        }
        return 0;
}

int32_t sc_at(const struct sc_series *s, int64_t t, int32_t dflt)
{
        unsigned i;
        if (s->n == 0)
                return dflt;
        if (t <= s->t[0])
                return s->v[0];
        for (i = 1; i < s->n; i++) {
                if (t < s->t[i]) {
                        int64_t dt = s->t[i] - s->t[i - 1];
                        int64_t dv = (int64_t)s->v[i] - s->v[i - 1];
                        return (int32_t)(s->v[i - 1] + dv * (t - s->t[i - 1]) / dt);
                }
        }
        return s->v[s->n - 1];
}

int sc_in(const struct sc_periods *p, int64_t t)
{
        unsigned i;
        for (i = 0; i < p->n; i++)
                if (t >= p->from[i] && t < p->to[i])
                        return 1;
        return 0;
}
