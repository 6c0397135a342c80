/* The JMA 防災情報XML parser: one telegram (a Report document) in memory to
 * its normalised form.
 *
 * Safety: libxml2 runs with XML_PARSE_NONET and never with NOENT, RECOVER,
 * HUGE or DTDLOAD.  A document is refused, with a reason, when it is larger
 * than max_bytes, empty, not valid UTF-8, has a DOCTYPE (telegrams never
 * have one; refusing it before its internal subset is read is what makes
 * entity bombs and external entities harmless), is truncated or otherwise
 * not well-formed, nests deeper than libxml2's limit, or its root is not
 * Report in the jmaxml1 namespace.
 *
 * The parser never logs.  What a daemon should log (Kind codes missing from
 * the level table, R06 names whose 「レベルN」 disagrees with the table) is
 * returned in jma_report.notes; the caller logs each once. */
#ifndef SONAE_JMA_PARSE_H
#define SONAE_JMA_PARSE_H

#include "jma_levels.h"

#include <stdbool.h>
#include <stddef.h>

#define JMA_DEFAULT_MAX_BYTES ((size_t)10 * 1024 * 1024)
/* Caps on the flattened lists, so a small hostile document (many Kinds times
 * many Areas) cannot make the output grow without bound.  The largest real
 * telegrams stay far below them. */
#define JMA_MAX_ENTRIES 500000

/* Why a document was refused (jma_parse_error.reason). */
enum jma_refusal {
        JMA_REFUSED_NONE = 0,
        JMA_REFUSED_TOO_LARGE, /* -EFBIG */
        JMA_REFUSED_EMPTY,     /* -ENODATA */
        JMA_REFUSED_ENCODING,  /* -EILSEQ: invalid UTF-8, or another encoding */
        JMA_REFUSED_DOCTYPE,   /* -EPERM */
        JMA_REFUSED_TRUNCATED, /* -EBADMSG: input ends inside the document */
        JMA_REFUSED_MALFORMED, /* -EBADMSG: not well-formed XML (depth included) */
        JMA_REFUSED_NOT_JMA,   /* -EPROTO: root is not jmx:Report */
        JMA_REFUSED_TOO_MANY,  /* -E2BIG: more than JMA_MAX_ENTRIES entries */
        JMA_REFUSED_NOMEM,     /* -ENOMEM */
};

struct jma_parse_error {
        enum jma_refusal reason;
        char message[256]; /* one line, English, never the document's content */
};

struct jma_parse_options {
        size_t max_bytes; /* 0 means JMA_DEFAULT_MAX_BYTES */
};

/* One Kind x one Area of a Body/Warning/Item (or Head/Headline/Information/Item).  Strings are NULL
 * where the element is absent or empty. */
struct jma_warning {
        const char *warning_type; /* Warning@type */
        const char *area_code;
        const char *area_name;
        const char *kind_code;
        const char *kind_name;
        const char *kind_status;
        int level;      /* 1-5 from the level table, 0 = null */
        int name_level; /* 「レベルN」 of kind_name, 0 when none */
        bool known;     /* kind_code is in the level table */
};

/* The first Body/Earthquake. */
struct jma_earthquake {
        const char *origin_time;
        const char *hypocenter_name;
        double lat, lon;           /* NAN when the hypocentre has no coordinate */
        double depth_km;           /* NAN when unknown; 0 for ごく浅い */
        double magnitude;          /* NAN when not determined (NaN, Ｍ不明) */
        const char *max_intensity; /* Body/Intensity/Observation/MaxInt only */
};

/* Body/Tsunami/Forecast/Item. */
struct jma_tsunami {
        const char *area_code;
        const char *area_name;
        const char *kind_code;
        const char *kind_name;
};

/* Body/VolcanoInfo/Item: one Kind x one Area (volcano or municipality). */
struct jma_volcano {
        const char *info_type; /* VolcanoInfo@type */
        const char *area_code;
        const char *area_name;
        const char *kind_code;
        const char *kind_name;
        const char *kind_condition;
        int alert_level; /* 噴火警戒レベル 1-5 of codes 11-15, 0 otherwise */
};

/* A water-level threshold of a gauge in a river telegram
 * (HydrometricStationPart/Criteria/jmx_eb:WaterLevel). */
struct jma_threshold {
        const char *station_code;
        const char *station_name;
        const char *type;      /* WaterLevel@type, e.g. "レベル３避難判断水位" */
        const char *unit;      /* "m" */
        const char *condition; /* "有効", ... */
        double value;          /* NAN when empty or not a number */
        int level;             /* 「レベルN」 of type, 0 when none */
};

/* VPWP50: the expected level of one kind of hazard, per area and time. */
struct jma_outlook {
        const char *area_code;
        const char *area_name;
        const char *type;     /* Significancy@type, e.g. "大雨浸水危険度" */
        const char *datetime; /* the TimeDefine's DateTime */
        const char *duration; /* the TimeDefine's Duration */
        const char *code;
        const char *name;
        int level;      /* from the level table, 0 = null */
        int name_level; /* 「レベルN」 of name, 0 when none */
        bool known;
};

enum jma_note_kind {
        JMA_NOTE_UNKNOWN_CODE,   /* a code not in the level table */
        JMA_NOTE_LEVEL_MISMATCH, /* an R06 name's 「レベルN」 differs from the table */
};

/* One per distinct (kind, family, generation, code, name) in a report. */
struct jma_note {
        enum jma_note_kind kind;
        enum jma_family family;
        enum jma_generation generation;
        const char *code;
        const char *name;
        int table_level;
        int name_level;
};

struct jma_report {
        /* Control */
        const char *title;
        const char *datetime;
        const char *status;
        const char *editorial_office;
        const char *publishing_office;
        /* Head */
        const char *head_title;
        const char *report_datetime;
        const char *target_datetime;
        const char *event_id;
        const char *info_type;
        const char *serial;
        const char *info_kind;
        const char *headline; /* Head/Headline/Text only */
        /* Body/Intensity/Observation/MaxInt, also when there is no
         * Body/Earthquake (震度速報 VXSE51). */
        const char *max_intensity;

        enum jma_family family;
        enum jma_generation generation;

        struct jma_warning *warnings; /* Body/Warning, flattened */
        size_t n_warnings;
        /* Head/Headline/Information flattened the same way (warning_type is
         * Information@type): where VXKO carries its 氾濫…情報 Kind codes and
         * VPNO50 its 特別警報, whose Body is empty.  Not part of the CLI output. */
        struct jma_warning *head_items;
        size_t n_head_items;
        /* 府県気象防災速報 (VPBS50) 記録的短時間大雨: the 7-digit municipalities
         * of MeteorologicalInfos/…/Item/Area where Kind/Property/Type is
         * 雨の実況, as kind 1 記録的短時間大雨情報 with kind_status Area/Status
         * (付近).  VPOA50 names 府県予報区 and 一次細分区域 (6 digits) only.
         * Kind strings are static.  Not part of the CLI output. */
        struct jma_warning *rain_areas;
        size_t n_rain_areas;
        struct jma_earthquake *earthquake; /* NULL when absent */
        struct jma_tsunami *tsunami;
        size_t n_tsunami;
        struct jma_volcano *volcano;
        size_t n_volcano;
        struct jma_threshold *thresholds;
        size_t n_thresholds;
        struct jma_outlook *outlook;
        size_t n_outlook;
        struct jma_note *notes;
        size_t n_notes;

        struct jma_arena *arena; /* private: owns every string above */
};

/* Parses one telegram from data[0..len).  On success returns 0 and *out
 * receives a report the caller frees with jma_report_free(); the report
 * does not borrow data.  On refusal returns a negative errno-style code
 * (see enum jma_refusal), *out is NULL and err (if not NULL) says why.
 * opts may be NULL.  Safe to call from several threads at once. */
int jma_parse(const void *data, size_t len, const struct jma_parse_options *opts,
              struct jma_report **out, struct jma_parse_error *err);

/* Accepts NULL. */
void jma_report_free(struct jma_report *r);

/* Fills t (all NAN first) with the thresholds the report gives for one
 * gauge: 水防団待機 → standby, 氾濫注意 → caution, 避難判断 → evacuation,
 * 氾濫危険 → danger.  Returns how many were found. */
struct level_thresholds;
int jma_station_thresholds(const struct jma_report *r, const char *station_code,
                           struct level_thresholds *t);

/* "too large", "empty", ... for messages. */
const char *jma_refusal_name(enum jma_refusal reason);

/* The family and generation a telegram's Kind codes belong to, from its
 * Control/Title and Head/Title (either may be NULL). */
void jma_classify(const char *control_title, const char *head_title, enum jma_family *family,
                  enum jma_generation *generation);

#endif
