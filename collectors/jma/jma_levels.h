/* The level table of JMA 防災情報XML Kind codes: one row per (telegram
 * family, generation, Kind code), because the same code means different
 * things across families and generations (08 高潮警報 is level-4-equivalent
 * in the H27 telegrams but レベル３高潮警報 in the R06 ones; 21 is 乾燥注意報
 * in VPWW61 but レベル２氾濫注意報 in a river telegram).  The rows, with their
 * sources, are in jma_levels.c and docs/sources/jma.md. */
#ifndef SONAE_JMA_LEVELS_H
#define SONAE_JMA_LEVELS_H

#include <stdbool.h>

/* Which code list a telegram's Kind codes come from, decided from
 * Control/Title (the data type code such as VPWW54 is not in the document). */
enum jma_family {
        JMA_FAMILY_OTHER = 0, /* no code list: every code is unknown */
        JMA_FAMILY_WEATHER, /* 気象警報・注意報 VPWW50/53/54/55-61, 特別警報報知 VPNO50 */
        JMA_FAMILY_LANDSLIDE, /* 土砂災害警戒情報 VXWW50 */
        JMA_FAMILY_RIVER,     /* 指定河川洪水予報 VXKO*, 水位周知河川 VXSU* */
        JMA_FAMILY_HEAVY_RAIN, /* 記録的短時間大雨情報 VPOA50, 府県気象防災速報 VPBS50 */
        JMA_FAMILY_TORNADO, /* 竜巻注意情報 VPHW50/51 */
        JMA_FAMILY_MARINE,  /* 全般・地方海上警報 VPZU*, VPCU*, VPCY* */
        JMA_FAMILY_OUTLOOK, /* 時系列 VPWP50: Significancy codes */
        JMA_FAMILY_COUNT,
};

/* H27: the telegrams in use since 2015 (and older ones of the same code
 * lists).  R06: the level-named telegrams that started on 2026-05-29. */
enum jma_generation {
        JMA_GEN_H27 = 0,
        JMA_GEN_R06 = 1,
};

struct jma_level_row {
        enum jma_family family;
        enum jma_generation generation;
        const char *code;
        const char *name; /* JMA's name for the code, for the docs and checks */
        int level;        /* 1-5, or 0 for "no 警戒レベル" (JSON null) */
};

/* The row for (family, generation, code), or NULL when the code is not in
 * the table.  The returned row is static. */
const struct jma_level_row *jma_level_lookup(enum jma_family family, enum jma_generation generation,
                                             const char *code);

/* All rows, for the docs and the tests; *n receives the count. */
const struct jma_level_row *jma_level_rows(unsigned *n);

/* The N of a leading 「レベルN」 (full-width or ASCII digit 1-5) in an R06
 * Kind name such as "レベル４大雨危険警報"; 0 when the name has none or
 * continues with 未満 ("警戒レベル２未満" names no level). */
int jma_level_from_name(const char *name);

const char *jma_family_name(enum jma_family family);             /* "weather", ... */
const char *jma_generation_name(enum jma_generation generation); /* "H27" / "R06" */

#endif
