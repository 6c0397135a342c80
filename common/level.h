/* The 警戒レベル model: one scale for every source, one module for it.
 *
 * JMA warnings, river thresholds, 土砂災害警戒情報 and the city's own
 * evacuation orders are all mapped onto the five official levels, so one
 * colour scale runs through Sonae.  Colours are those of the Cabinet Office's
 * guideline (避難情報に関するガイドライン) and JMA's level colours. */
#ifndef SONAE_LEVEL_H
#define SONAE_LEVEL_H

#include <stdbool.h>

/* LEVEL_NONE is the API's `level: null`: no level applies. */
enum level {
        LEVEL_NONE = 0,
        LEVEL_1 = 1,
        LEVEL_2 = 2,
        LEVEL_3 = 3,
        LEVEL_4 = 4,
        LEVEL_5 = 5,
};

/* The `state` of a station or a source (CONTRACTS.md).  STALE, OFFLINE and
 * UNKNOWN never display as safe. */
enum station_state {
        STATE_OK = 0,
        STATE_BELOW_START,
        STATE_WATCH,
        STATE_STALE,
        STATE_OFFLINE,
        STATE_UNKNOWN,
};

#define LEVEL_MIN LEVEL_1
#define LEVEL_MAX LEVEL_5

bool level_valid(int level);
/* "#0C000C" for L5 ... "#FFFFFF" for L1; NULL for LEVEL_NONE or invalid. */
const char *level_color(int level);
/* A text colour with at least 4.5:1 contrast on level_color(level). */
const char *level_text_color(int level);
/* "警戒レベル４" (full-width digit as the guideline writes it); NULL if none. */
const char *level_label_ja(int level);
/* What the level asks of residents: "緊急安全確保", "避難指示", "高齢者等避難",
 * "避難行動の確認", "心構えを高める"; NULL if none. */
const char *level_action_ja(int level);
/* The city's own order at this level (L3-L5): "高齢者等避難", "避難指示",
 * "緊急安全確保"; NULL for levels the city does not issue. */
const char *level_order_name_ja(int level);

const char *station_state_name(enum station_state s); /* "ok", "below_start", ... */
int station_state_parse(const char *s, enum station_state *out);
/* True for states under which a level must not be read as "safe". */
bool station_state_is_unknown(enum station_state s);

/* A gauge's thresholds in metres; NAN where the gauge has none.
 * Ordinary gauges: standby 水防団待機, caution 氾濫注意, evacuation 避難判断,
 * danger 氾濫危険, flood 氾濫発生.  危機管理型水位計 (crisis gauges): start
 * 観測開始, danger 危険水位, flood 氾濫開始. */
struct level_thresholds {
        double standby;
        double caution;
        double evacuation;
        double danger;
        double flood;
        double start;
};

/* Fills every field with NAN. */
void level_thresholds_clear(struct level_thresholds *t);

struct level_result {
        enum level level;
        enum station_state state;
};

/* The level a water level reaches against its thresholds.  A threshold is
 * reached at or above its value.  Ordinary gauges: flood → 5, danger → 4,
 * evacuation → 3, caution → 2, standby → 1, below all → none.  Crisis gauges
 * (start set, caution and evacuation unset): below start → state
 * below_start, level none; at or above start → state watch, level none;
 * danger → 4; flood → 5.  A NAN value gives state unknown, level none;
 * a gauge with no thresholds at all gives state ok, level none. */
struct level_result level_from_thresholds(double value, const struct level_thresholds *t);

#endif
