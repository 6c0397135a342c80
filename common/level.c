#include "level.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

static const char *const colors[] = {NULL, "#FFFFFF", "#F2E700", "#FF2800", "#AA00AA", "#0C000C"};
/* Dark text on the light fills, white on the dark ones (WCAG AA). */
static const char *const text_colors[] = {NULL,      "#000000", "#000000",
                                          "#000000", "#FFFFFF", "#FFFFFF"};
static const char *const labels_ja[] = {NULL,           "警戒レベル１", "警戒レベル２",
                                        "警戒レベル３", "警戒レベル４", "警戒レベル５"};
static const char *const actions_ja[] = {NULL,           "心構えを高める", "避難行動の確認",
                                         "高齢者等避難", "避難指示",       "緊急安全確保"};
static const char *const state_names[] = {"ok",    "below_start", "watch",
                                          "stale", "offline",     "unknown"};

bool level_valid(int level)
{
        return level >= LEVEL_MIN && level <= LEVEL_MAX;
}

const char *level_color(int level)
{
        return level_valid(level) ? colors[level] : NULL;
}

const char *level_text_color(int level)
{
        return level_valid(level) ? text_colors[level] : NULL;
}

const char *level_label_ja(int level)
{
        return level_valid(level) ? labels_ja[level] : NULL;
}

const char *level_action_ja(int level)
{
        return level_valid(level) ? actions_ja[level] : NULL;
}

const char *level_order_name_ja(int level)
{
        return level >= LEVEL_3 && level <= LEVEL_5 ? actions_ja[level] : NULL;
}

const char *station_state_name(enum station_state s)
{
        if ((int)s < 0 || (size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
                return "unknown";
        return state_names[s];
}

int station_state_parse(const char *s, enum station_state *out)
{
        for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
                if (strcmp(s, state_names[i]) == 0) {
                        *out = (enum station_state)i;
                        return 0;
                }
        }
        return -EINVAL;
}

bool station_state_is_unknown(enum station_state s)
{
        return s == STATE_STALE || s == STATE_OFFLINE || s == STATE_UNKNOWN;
}

void level_thresholds_clear(struct level_thresholds *t)
{
        t->standby = NAN;
        t->caution = NAN;
        t->evacuation = NAN;
        t->danger = NAN;
        t->flood = NAN;
        t->start = NAN;
}

static bool reached(double value, double threshold)
{
        return !isnan(threshold) && value >= threshold;
}

struct level_result level_from_thresholds(double value, const struct level_thresholds *t)
{
        struct level_result r = {LEVEL_NONE, STATE_OK};
        if (isnan(value) || !t) {
                r.state = STATE_UNKNOWN;
                return r;
        }
        bool crisis = !isnan(t->start) && isnan(t->caution) && isnan(t->evacuation);
        if (crisis) {
                if (value < t->start) {
                        r.state = STATE_BELOW_START;
                        return r;
                }
                r.state = STATE_WATCH;
                if (reached(value, t->flood))
                        r.level = LEVEL_5;
                else if (reached(value, t->danger))
                        r.level = LEVEL_4;
                return r;
        }
        if (reached(value, t->flood))
                r.level = LEVEL_5;
        else if (reached(value, t->danger))
                r.level = LEVEL_4;
        else if (reached(value, t->evacuation))
                r.level = LEVEL_3;
        else if (reached(value, t->caution))
                r.level = LEVEL_2;
        else if (reached(value, t->standby))
                r.level = LEVEL_1;
        return r;
}
