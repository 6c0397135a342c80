/* The level table.  Sources, row by row, are given in the comments and in
 * docs/sources/jma.md:
 *   [G]  内閣府「避難情報に関するガイドライン」(令和3年5月, 令和4年9月改定):
 *        the 警戒レベル相当情報 of the H27 warnings.
 *   [C]  気象庁 防災情報XML コード表「気象警報・注意報」(codes 00-38 of the
 *        H27 weather telegrams; names as in the fixtures).
 *   [F]  seen in the fixtures (../shared/fixtures/jma_xml): code, name and,
 *        for R06 names, the 「レベルN」 that JMA writes into the name itself.
 *   [P]  inferred from the R06 code pattern (x3 大雨, x9 土砂災害, x8 高潮;
 *        1x/2x 注意報, 0x 警報, 4x 危険警報, 3x 特別警報) and the names in the
 *        jmaxml_20250630 dictionary; not yet seen in a telegram.  The
 *        「レベルN」 check flags them at once if JMA uses another code.
 * A level of 0 means the code is known and carries no 警戒レベル. */
#include "jma_levels.h"

#include <string.h>

#define W JMA_FAMILY_WEATHER
#define H JMA_GEN_H27
#define R JMA_GEN_R06

static const struct jma_level_row rows[] = {
    /* 気象警報・注意報 (H27 and older: VPWW50/53/54, VPNO50) [C], levels [G]. */
    {W, H, "00", "解除", 0},
    {W, H, "02", "暴風雪警報", 0},
    {W, H, "03", "大雨警報", 3},
    {W, H, "04", "洪水警報", 3},
    {W, H, "05", "暴風警報", 0},
    {W, H, "06", "大雪警報", 0},
    {W, H, "07", "波浪警報", 0},
    {W, H, "08", "高潮警報", 4},
    {W, H, "10", "大雨注意報", 2},
    {W, H, "12", "大雪注意報", 0},
    {W, H, "13", "風雪注意報", 0},
    {W, H, "14", "雷注意報", 0},
    {W, H, "15", "強風注意報", 0},
    {W, H, "16", "波浪注意報", 0},
    {W, H, "17", "融雪注意報", 0},
    {W, H, "18", "洪水注意報", 2},
    {W, H, "19", "高潮注意報", 2},
    {W, H, "20", "濃霧注意報", 0},
    {W, H, "21", "乾燥注意報", 0},
    {W, H, "22", "なだれ注意報", 0},
    {W, H, "23", "低温注意報", 0},
    {W, H, "24", "霜注意報", 0},
    {W, H, "25", "着氷注意報", 0},
    {W, H, "26", "着雪注意報", 0},
    {W, H, "27", "その他の注意報", 0},
    {W, H, "32", "暴風雪特別警報", 0},
    {W, H, "33", "大雨特別警報", 5},
    {W, H, "35", "暴風特別警報", 0},
    {W, H, "36", "大雪特別警報", 0},
    {W, H, "37", "波浪特別警報", 0},
    {W, H, "38", "高潮特別警報", 4},

    /* 気象警報・注意報（Ｒ０６） VPWW55-61: level-named warnings [F]. */
    {W, R, "00", "解除", 0},
    {W, R, "33", "レベル５大雨特別警報", 5},
    {W, R, "43", "レベル４大雨危険警報", 4},
    {W, R, "03", "レベル３大雨警報", 3},
    {W, R, "10", "レベル２大雨注意報", 2},
    {W, R, "39", "レベル５土砂災害特別警報", 5}, /* [P] */
    {W, R, "49", "レベル４土砂災害危険警報", 4},
    {W, R, "09", "レベル３土砂災害警報", 3},
    {W, R, "29", "レベル２土砂災害注意報", 2},
    {W, R, "38", "レベル５高潮特別警報", 5}, /* [P] */
    {W, R, "48", "レベル４高潮危険警報", 4},
    {W, R, "08", "レベル３高潮警報", 3},
    {W, R, "19", "レベル２高潮注意報", 2}, /* [P] */
    /* R06 warnings without a level keep their H27 codes and names [F][C]. */
    {W, R, "02", "暴風雪警報", 0},
    {W, R, "05", "暴風警報", 0},
    {W, R, "06", "大雪警報", 0},
    {W, R, "07", "波浪警報", 0},
    {W, R, "12", "大雪注意報", 0},
    {W, R, "13", "風雪注意報", 0},
    {W, R, "14", "雷注意報", 0},
    {W, R, "15", "強風注意報", 0},
    {W, R, "16", "波浪注意報", 0},
    {W, R, "17", "融雪注意報", 0},
    {W, R, "20", "濃霧注意報", 0},
    {W, R, "21", "乾燥注意報", 0},
    {W, R, "22", "なだれ注意報", 0},
    {W, R, "23", "低温注意報", 0},
    {W, R, "24", "霜注意報", 0},
    {W, R, "25", "着氷注意報", 0},
    {W, R, "26", "着雪注意報", 0},
    {W, R, "32", "暴風雪特別警報", 0},
    {W, R, "35", "暴風特別警報", 0},
    {W, R, "36", "大雪特別警報", 0},
    {W, R, "37", "波浪特別警報", 0},

    /* 土砂災害警戒情報 VXWW50 [F]: 警戒 is 警戒レベル４相当 [G]; in R06 the same
     * telegram is titled レベル４土砂災害危険警報 with the same codes. */
    {JMA_FAMILY_LANDSLIDE, H, "0", "なし", 0},
    {JMA_FAMILY_LANDSLIDE, H, "1", "解除", 0},
    {JMA_FAMILY_LANDSLIDE, H, "3", "警戒", 4},
    {JMA_FAMILY_LANDSLIDE, R, "0", "なし", 0},
    {JMA_FAMILY_LANDSLIDE, R, "1", "解除", 0},
    {JMA_FAMILY_LANDSLIDE, R, "3", "警戒", 4},

    /* 指定河川洪水予報 / 水位周知河川 [F]; levels [G] (H27) and the names (R06).
     * Codes 1/2 are the 浸水想定地区 lists of Body/Warning, not warnings. */
    {JMA_FAMILY_RIVER, H, "1", "浸水想定地区", 0},
    {JMA_FAMILY_RIVER, H, "2", "浸水想定地区（氾濫発生情報）", 0},
    {JMA_FAMILY_RIVER, H, "20", "氾濫注意情報", 2},
    {JMA_FAMILY_RIVER, H, "30", "氾濫警戒情報", 3},
    {JMA_FAMILY_RIVER, H, "40", "氾濫危険情報", 4},
    {JMA_FAMILY_RIVER, H, "53", "氾濫発生情報（氾濫水の予報）", 5},
    {JMA_FAMILY_RIVER, R, "1", "浸水想定地区", 0},
    {JMA_FAMILY_RIVER, R, "2", "浸水想定地区（氾濫発生情報）", 0},
    {JMA_FAMILY_RIVER, R, "20", "レベル２氾濫注意報", 2},
    {JMA_FAMILY_RIVER, R, "21", "レベル２氾濫注意報", 2},

    /* 記録的短時間大雨情報 [F]: a report of observed rain, no 警戒レベル [G]. */
    {JMA_FAMILY_HEAVY_RAIN, H, "0", "なし", 0},
    {JMA_FAMILY_HEAVY_RAIN, H, "1", "記録的短時間大雨情報", 0},
    {JMA_FAMILY_HEAVY_RAIN, R, "0", "なし", 0},
    {JMA_FAMILY_HEAVY_RAIN, R, "1", "記録的短時間大雨情報", 0},

    /* 竜巻注意情報 [F]: no 警戒レベル. */
    {JMA_FAMILY_TORNADO, H, "0", "なし", 0},
    {JMA_FAMILY_TORNADO, H, "1", "竜巻注意情報", 0},
    {JMA_FAMILY_TORNADO, R, "0", "なし", 0},
    {JMA_FAMILY_TORNADO, R, "1", "竜巻注意情報", 0},

    /* 海上警報 [F]: for ships, no 警戒レベル. */
    {JMA_FAMILY_MARINE, H, "11", "海上濃霧警報", 0},
    {JMA_FAMILY_MARINE, H, "20", "海上風警報", 0},
    {JMA_FAMILY_MARINE, H, "21", "海上強風警報", 0},
    {JMA_FAMILY_MARINE, H, "22", "海上暴風警報", 0},
    {JMA_FAMILY_MARINE, H, "23", "海上台風警報", 0},

    /* 時系列 VPWP50 Significancy [F]: below level 2 is no level. */
    {JMA_FAMILY_OUTLOOK, R, "00", "値なし", 0},
    {JMA_FAMILY_OUTLOOK, R, "01", "注意報級未満", 0},
    {JMA_FAMILY_OUTLOOK, R, "11", "警戒レベル２未満", 0},
};

#undef W
#undef H
#undef R

const struct jma_level_row *jma_level_lookup(enum jma_family family, enum jma_generation generation,
                                             const char *code)
{
        if (!code)
                return NULL;
        for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                if (rows[i].family == family && rows[i].generation == generation &&
                    strcmp(rows[i].code, code) == 0)
                        return &rows[i];
        }
        return NULL;
}

const struct jma_level_row *jma_level_rows(unsigned *n)
{
        *n = sizeof(rows) / sizeof(rows[0]);
        return rows;
}

int jma_level_from_name(const char *name)
{
        static const char keikai[] = "警戒";
        static const char reberu[] = "レベル";
        if (!name)
                return 0;
        const char *p = name;
        if (strncmp(p, keikai, sizeof(keikai) - 1) == 0)
                p += sizeof(keikai) - 1;
        if (strncmp(p, reberu, sizeof(reberu) - 1) != 0)
                return 0;
        p += sizeof(reberu) - 1;
        int n = 0;
        /* Full-width digits are U+FF11..U+FF15: EF BC 91..95 in UTF-8. */
        if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBC &&
            (unsigned char)p[2] >= 0x91 && (unsigned char)p[2] <= 0x95) {
                n = (unsigned char)p[2] - 0x90;
                p += 3;
        } else if (p[0] >= '1' && p[0] <= '5') {
                n = p[0] - '0';
                p += 1;
        } else {
                return 0;
        }
        if (strncmp(p, "未満", strlen("未満")) == 0)
                return 0;
        return n;
}

const char *jma_family_name(enum jma_family family)
{
        static const char *const names[JMA_FAMILY_COUNT] = {
            "other", "weather", "landslide", "river", "heavy_rain", "tornado", "marine", "outlook",
        };
        return (unsigned)family < JMA_FAMILY_COUNT ? names[family] : "other";
}

const char *jma_generation_name(enum jma_generation generation)
{
        return generation == JMA_GEN_R06 ? "R06" : "H27";
}
