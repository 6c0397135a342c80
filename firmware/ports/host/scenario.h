/* The host port's world: a scenario file (docs/firmware.md, "The host
 * port") gives the water level, battery, air temperature and signal as
 * piecewise-linear series over the story's time, and the periods when the
 * network is gone or the sensor's line is dead.  Story time runs `scale`
 * (up to three decimals) times faster than the real clock, from a start kept in the state folder
 * so that a restarted node continues the same story. */
#ifndef SONAE_HOST_SCENARIO_H
#define SONAE_HOST_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define SC_POINTS   512
#define SC_PERIODS  64
#define SC_SETTINGS 16

struct sc_series {
        unsigned n;
        int64_t t[SC_POINTS]; /* story seconds, increasing */
        int32_t v[SC_POINTS]; /* thousandths of the unit */
};

struct sc_periods {
        unsigned n;
        int64_t from[SC_PERIODS], to[SC_PERIODS];
};

struct scenario {
        uint32_t scale_milli;    /* thousandths of story seconds per real second */
        int32_t noise_mm;        /* ± range noise of each echo */
        struct sc_series level;  /* m above the gauge datum */
        struct sc_series batt;   /* V */
        struct sc_series temp;   /* °C */
        struct sc_series signal; /* dBm */
        struct sc_periods outage, sensor_dead;
        /* "settings key=value" lines: provisioning lines (prov.h) the
         * provisioning file may override, so that a scenario can carry the
         * intervals its story is told at. */
        unsigned n_settings;
        char settings[SC_SETTINGS][80];
};

/* Reads path into sc (caller's); 0, or -1 with a message in err. */
int scenario_load(struct scenario *sc, const char *path, char *err, size_t errcap);
/* The series at story time t (held flat outside its points); dflt when it
 * has none. */
int32_t sc_at(const struct sc_series *s, int64_t t, int32_t dflt);
/* 1 when t lies in one of the periods [from, to). */
int sc_in(const struct sc_periods *p, int64_t t);

#endif
