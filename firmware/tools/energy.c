/* The node's energy budget, from the firmware's own default settings
 * (fw_settings_default) and its own pack encoder (how many readings fit a
 * pack decides how many publications a heartbeat takes), with phase
 * currents and durations of the hardware class the firmware is written
 * for.  Prints the average current in normal and in flood mode and the
 * battery life; with --check YEARS exits non-zero when the life is
 * shorter.  Figures are docs/firmware.md's table; each is a class value
 * rounded towards the pessimistic side, not a measurement of one board. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_settings.h"
#include "senml.h"

struct phase {
        const char *what;
        double ma;
        double s;
};

/* MCU: STM32L0/L4-class (ST datasheets DS10685, DS11451): Stop 2 with RTC
 * about 1 uA; run at 16 MHz about 1.5 mA.  Rounded up to 2 uA and 2 mA. */
static const double mcu_sleep_ua = 2.0;
static const double mcu_run_ma = 2.0;
/* Sensor: MaxBotix MB7389 (HRXL-MaxSonar-WRMT) class, 3.1 mA typical;
 * power-up plus nine ranges at about 6 per second: 4 mA for 2 s. */
static const struct phase sensor = {"sensor burst (9 echoes)", 4.0, 2.0};
/* Modem: Quectel BG95-M3 class (BG95 hardware design guide): PSM a few
 * uA, taken as 10 uA; LTE-M transmission at 23 dBm up to about 200 mA. */
static const double modem_psm_ua = 10.0;
static const struct phase session[] = {
    {"modem wake from PSM, RRC connection", 80.0, 2.0},
    {"TLS, MQTT CONNECT, SUBSCRIBE, status", 60.0, 3.0},
    {"RRC inactivity tail before release", 20.0, 10.0},
    {"PSM entry", 10.0, 1.0},
};
static const struct phase per_pack = {"PUBLISH of one pack and PUBACK", 150.0, 0.6};
/* Regulator and FRAM (power-gated between uses). */
static const double quiescent_ua = 2.0;
/* The battery: Saft LS33600 (Li-SOCl2, D cell, 3.6 V, 17 Ah) with a
 * hybrid layer capacitor for the modem's pulses; 70% usable after
 * self-discharge, cold and cut-off voltage. */
static const char *battery = "Saft LS33600 Li-SOCl2 D cell, 17 Ah, 70% usable";
static double battery_mah = 17000.0 * 0.70;
/* Flood days per year: heavy-rain days with the water above the start
 * level (Tsuruoka's rivers see a handful; doubled for margin). */
static double flood_days = 10.0;

/* Readings that fit one pack, by encoding full readings with the real
 * encoder until it refuses. */
static unsigned readings_per_pack(void)
{
        static char buf[SENML_MAX_PACK + 1];
        struct senml_enc e;
        struct senml_reading r;
        unsigned n = 0;
        memset(&r, 0, sizeof(r));
        r.has = SENML_HAS_DIST | SENML_HAS_LEVEL | SENML_HAS_TEMP | SENML_HAS_BATT | SENML_HAS_RSSI;
        if (senml_enc_begin(&e, buf, sizeof(buf), "tsuruoka-br-0001", 1763900000, 12) < 0)
                return 1;
        for (;;) {
                r.seq = 100000 + n;
                r.t = 1763900000 + 600 * (int64_t)n;
                r.dist_u = 3217000;
                r.level_u = -1217000;
                r.temp_u = -12340000;
                r.batt_u = 3587000;
                r.rssi_u = -103000000;
                if (senml_enc_add(&e, &r) < 0)
                        break;
                n++;
        }
        return n ? n : 1;
}

static double session_mas(unsigned packs)
{
        double q = 0;
        unsigned i;
        for (i = 0; i < sizeof(session) / sizeof(session[0]); i++)
                q += session[i].ma * session[i].s;
        q += packs * per_pack.ma * per_pack.s;
        /* The MCU runs through the session. */
        for (i = 0; i < sizeof(session) / sizeof(session[0]); i++)
                q += mcu_run_ma * session[i].s;
        q += packs * mcu_run_ma * per_pack.s;
        return q;
}

/* Average current (mA) of a day in one mode. */
static double day_ma(const struct fw_settings *s, int flood, unsigned per_pack_n, unsigned *packs)
{
        double day = 86400.0;
        double measures = day / (flood && s->flood_s < s->measure_s ? s->flood_s : s->measure_s);
        double sessions, readings_per_session, q;
        unsigned p;
        if (flood) {
                sessions = day / s->flood_s;
        } else {
                sessions = day / s->heartbeat_s;
        }
        readings_per_session = measures / sessions;
        if (readings_per_session < 1)
                readings_per_session = 1;
        p = (unsigned)((readings_per_session + per_pack_n - 1) / per_pack_n);
        if (p == 0)
                p = 1;
        *packs = p;
        q = measures * (sensor.ma * sensor.s + mcu_run_ma * (sensor.s + 0.2));
        q += sessions * session_mas(p);
        q += (mcu_sleep_ua + modem_psm_ua + quiescent_ua) / 1000.0 * day;
        return q / day;
}

int main(int argc, char **argv)
{
        struct fw_settings s;
        double check_years = 0, normal_ma, flood_ma, year_mah, years;
        unsigned per_pack_n, packs_normal, packs_flood, i;
        int a;
        for (a = 1; a < argc; a++) {
                char *end = NULL;
                if (strcmp(argv[a], "--check") == 0 && a + 1 < argc) {
                        check_years = strtod(argv[++a], &end);
                } else if (strcmp(argv[a], "--battery-mah") == 0 && a + 1 < argc) {
                        battery_mah = strtod(argv[++a], &end);
                        battery = "as given on the command line";
                } else if (strcmp(argv[a], "--flood-days") == 0 && a + 1 < argc) {
                        flood_days = strtod(argv[++a], &end);
                } else {
                        fprintf(
                            stderr,
                            "usage: energy [--check YEARS] [--battery-mah N] [--flood-days N]\n");
                        return 2;
                }
                if (!end || *end || end == argv[a]) {
                        fprintf(stderr, "energy: bad number: %s\n", argv[a]);
                        return 2;
                }
        }
        fw_settings_default(&s);
        per_pack_n = readings_per_pack();
        normal_ma = day_ma(&s, 0, per_pack_n, &packs_normal);
        flood_ma = day_ma(&s, 1, per_pack_n, &packs_flood);
        year_mah = 24.0 * (normal_ma * (365.0 - flood_days) + flood_ma * flood_days);
        years = battery_mah / year_mah;

        printf("settings (firmware defaults): measure_s %u, heartbeat_s %u, flood_s %u\n",
               (unsigned)s.measure_s, (unsigned)s.heartbeat_s, (unsigned)s.flood_s);
        printf("readings per pack (real encoder, all fields): %u\n", per_pack_n);
        printf("phases:\n");
        printf("  %-40s %7.1f mA %6.1f s\n", sensor.what, sensor.ma, sensor.s);
        for (i = 0; i < sizeof(session) / sizeof(session[0]); i++)
                printf("  %-40s %7.1f mA %6.1f s\n", session[i].what, session[i].ma, session[i].s);
        printf("  %-40s %7.1f mA %6.1f s\n", per_pack.what, per_pack.ma, per_pack.s);
        printf("  %-40s %7.1f uA\n", "sleep (MCU + modem PSM + regulator)",
               mcu_sleep_ua + modem_psm_ua + quiescent_ua);
        printf("normal mode: %.1f uA average (%u packs per heartbeat)\n", normal_ma * 1000.0,
               packs_normal);
        printf("flood mode:  %.1f uA average (%u pack per report)\n", flood_ma * 1000.0,
               packs_flood);
        printf("battery: %s = %.0f mAh\n", battery, battery_mah);
        printf("year with %.0f flood days: %.0f mAh\n", flood_days, year_mah);
        printf("battery life: %.1f years\n", years);
        if (check_years > 0 && years < check_years) {
                printf("FAIL: battery life %.1f years is below %.1f years\n", years, check_years);
                return 1;
        }
        return 0;
}
