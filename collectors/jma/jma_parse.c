/* The JMA 防災情報XML parser.  See jma_parse.h for the contract and
 * docs/sources/jma.md for the telegram types and the refusal rules. */
#include "jma_parse.h"
#include "level.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define JMX_NS "http://xml.kishou.go.jp/jmaxml1/"

/* Every string of a report lives in one arena, freed at once. */
struct arena_chunk {
        struct arena_chunk *next;
        size_t used, cap;
        char data[];
};

struct jma_arena {
        struct arena_chunk *head;
};

#define ARENA_CHUNK ((size_t)64 * 1024)

static char *arena_strndup(struct jma_arena *a, const char *s, size_t n)
{
        struct arena_chunk *c = a->head;
        if (!c || c->cap - c->used < n + 1) {
                size_t cap = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
                c = malloc(sizeof(*c) + cap);
                if (!c)
                        return NULL;
                c->cap = cap;
                c->used = 0;
                c->next = a->head;
                a->head = c;
        }
        char *p = c->data + c->used;
        memcpy(p, s, n);
        p[n] = '\0';
        c->used += n + 1;
        return p;
}

static void arena_free(struct jma_arena *a)
{
        if (!a)
                return;
        struct arena_chunk *c = a->head;
        while (c) {
                struct arena_chunk *n = c->next;
                free(c);
                c = n;
        }
        free(a);
}

/* Growable arrays of the report, capped by JMA_MAX_ENTRIES in total. */
struct parse_state {
        struct jma_report *r;
        size_t cap_warnings, cap_head_items, cap_tsunami, cap_volcano, cap_thresholds, cap_outlook,
            cap_notes, cap_rain_areas;
        size_t entries;
        int err; /* first error, sticky: -ENOMEM or -E2BIG */
};

static void *grow(struct parse_state *st, void *arr, size_t *cap, size_t n, size_t size)
{
        if (st->err)
                return NULL;
        if (++st->entries > JMA_MAX_ENTRIES) {
                st->err = -E2BIG;
                return NULL;
        }
        if (n < *cap)
                return arr;
        size_t nc = *cap ? *cap * 2 : 16;
        void *p = realloc(arr, nc * size);
        if (!p) {
                st->err = -ENOMEM;
                return NULL;
        }
        *cap = nc;
        return p;
}

#define PUSH(st, field, nfield, capfield)                                                          \
        ({                                                                                         \
                __typeof__((st)->r->field) p_ = grow((st), (st)->r->field, &(st)->capfield,        \
                                                     (st)->r->nfield, sizeof(*(st)->r->field));    \
                __typeof__((st)->r->field) e_ = NULL;                                              \
                if (p_) {                                                                          \
                        (st)->r->field = p_;                                                       \
                        e_ = &p_[(st)->r->nfield++];                                               \
                        memset(e_, 0, sizeof(*e_));                                                \
                }                                                                                  \
                e_;                                                                                \
        })

/* ---- input checks ---- */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above
 * U+10FFFF.  Returns the offset of the first bad byte, or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
        size_t i = 0;
        while (i < len) {
                unsigned char c = s[i];
                if (c < 0x80) {
                        i++;
                        continue;
                }
                size_t n;
                uint32_t cp;
                if (c >= 0xC2 && c <= 0xDF) {
                        n = 1;
                        cp = c & 0x1F;
                } else if (c >= 0xE0 && c <= 0xEF) {
                        n = 2;
                        cp = c & 0x0F;
                } else if (c >= 0xF0 && c <= 0xF4) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return i;
                }
                if (len - i <= n)
                        return i;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
                    (cp >= 0xD800 && cp <= 0xDFFF))
                        return i;
                i += n + 1;
        }
        return len;
}

static int refuse(struct jma_parse_error *err, enum jma_refusal reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refusal_code(enum jma_refusal reason)
{
        switch (reason) {
        case JMA_REFUSED_TOO_LARGE:
                return -EFBIG;
        case JMA_REFUSED_EMPTY:
                return -ENODATA;
        case JMA_REFUSED_ENCODING:
                return -EILSEQ;
        case JMA_REFUSED_DOCTYPE:
                return -EPERM;
        case JMA_REFUSED_TRUNCATED:
        case JMA_REFUSED_MALFORMED:
                return -EBADMSG;
        case JMA_REFUSED_NOT_JMA:
                return -EPROTO;
        case JMA_REFUSED_TOO_MANY:
                return -E2BIG;
        case JMA_REFUSED_NOMEM:
                return -ENOMEM;
        case JMA_REFUSED_NONE:
                break;
        }
        return -EINVAL;
}

static int refuse(struct jma_parse_error *err, enum jma_refusal reason, const char *fmt, ...)
{
        if (err) {
                err->reason = reason;
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->message, sizeof(err->message), fmt, ap);
                va_end(ap);
                /* One line, whatever libxml2's message held. */
                for (char *p = err->message; *p; p++)
                        if (*p == '\n' || *p == '\r')
                                *p = ' ';
        }
        return refusal_code(reason);
}

const char *jma_refusal_name(enum jma_refusal reason)
{
        switch (reason) {
        case JMA_REFUSED_NONE:
                return "none";
        case JMA_REFUSED_TOO_LARGE:
                return "too large";
        case JMA_REFUSED_EMPTY:
                return "empty";
        case JMA_REFUSED_ENCODING:
                return "invalid UTF-8";
        case JMA_REFUSED_DOCTYPE:
                return "DOCTYPE";
        case JMA_REFUSED_TRUNCATED:
                return "truncated";
        case JMA_REFUSED_MALFORMED:
                return "not well-formed";
        case JMA_REFUSED_NOT_JMA:
                return "not a JMA Report";
        case JMA_REFUSED_TOO_MANY:
                return "too many entries";
        case JMA_REFUSED_NOMEM:
                return "out of memory";
        }
        return "unknown";
}

/* ---- tree helpers ---- */

static bool is_el(const xmlNode *n, const char *name)
{
        return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_child(const xmlNode *p, const char *name)
{
        if (!p)
                return NULL;
        for (xmlNode *c = p->children; c; c = c->next)
                if (is_el(c, name))
                        return c;
        return NULL;
}

static xmlNode *next_sibling(const xmlNode *n, const char *name)
{
        for (xmlNode *c = n->next; c; c = c->next)
                if (is_el(c, name))
                        return c;
        return NULL;
}

#define FOR_CHILDREN(var, parent, name)                                                            \
        for (xmlNode *var = first_child((parent), (name)); var; var = next_sibling(var, (name)))

static bool xml_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's text with leading and trailing XML whitespace trimmed, as an
 * arena string; NULL when the element is absent or the text empty.  Only
 * text and CDATA are read: a telegram has no entities (no DOCTYPE). */
static const char *text_of(struct parse_state *st, const xmlNode *n)
{
        if (!n || st->err)
                return NULL;
        const xmlNode *c = n->children;
        const char *s;
        xmlChar *owned = NULL;
        if (!c)
                return NULL;
        if (!c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
                s = (const char *)c->content;
        } else {
                owned = xmlNodeGetContent(n);
                if (!owned) {
                        st->err = -ENOMEM;
                        return NULL;
                }
                s = (const char *)owned;
        }
        size_t len = s ? strlen(s) : 0;
        size_t b = 0;
        while (b < len && xml_space(s[b]))
                b++;
        while (len > b && xml_space(s[len - 1]))
                len--;
        const char *out = NULL;
        if (len > b) {
                out = arena_strndup(st->r->arena, s + b, len - b);
                if (!out)
                        st->err = -ENOMEM;
        }
        xmlFree(owned);
        return out;
}

static const char *child_text(struct parse_state *st, const xmlNode *p, const char *name)
{
        return text_of(st, first_child(p, name));
}

static const char *attr_of(struct parse_state *st, const xmlNode *n, const char *name)
{
        if (!n || st->err)
                return NULL;
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                if (a->ns || strcmp((const char *)a->name, name) != 0)
                        continue;
                const xmlNode *t = a->children;
                if (!t || t->next || !t->content || !t->content[0])
                        return NULL;
                const char *out = arena_strndup(st->r->arena, (const char *)t->content,
                                                strlen((const char *)t->content));
                if (!out)
                        st->err = -ENOMEM;
                return out;
        }
        return NULL;
}

/* ---- classification ---- */

void jma_classify(const char *control_title, const char *head_title, enum jma_family *family,
                  enum jma_generation *generation)
{
        const char *ct = control_title ? control_title : "";
        const char *ht = head_title ? head_title : "";
        enum jma_family f = JMA_FAMILY_OTHER;
        enum jma_generation g = JMA_GEN_H27;
        if (strstr(ct, "Ｒ０６"))
                g = JMA_GEN_R06;
        if (strstr(ct, "時系列")) {
                f = JMA_FAMILY_OUTLOOK;
        } else if (strncmp(ct, "気象警報・注意報", strlen("気象警報・注意報")) == 0 ||
                   strncmp(ct, "気象特別警報", strlen("気象特別警報")) == 0) {
                f = JMA_FAMILY_WEATHER;
        } else if (strcmp(ct, "土砂災害警戒情報") == 0) {
                f = JMA_FAMILY_LANDSLIDE;
        } else if (strcmp(ct, "指定河川洪水予報") == 0) {
                f = JMA_FAMILY_RIVER;
        } else if (strcmp(ct, "水位周知河川に関する情報") == 0) {
                /* A telegram of the revised system only. */
                f = JMA_FAMILY_RIVER;
                g = JMA_GEN_R06;
        } else if (strcmp(ct, "記録的短時間大雨情報") == 0) {
                f = JMA_FAMILY_HEAVY_RAIN;
        } else if (strcmp(ct, "府県気象防災速報") == 0) {
                f = JMA_FAMILY_HEAVY_RAIN;
                g = JMA_GEN_R06;
        } else if (strncmp(ct, "竜巻注意情報", strlen("竜巻注意情報")) == 0) {
                f = JMA_FAMILY_TORNADO;
        } else if ((strstr(ct, "海上警報") || strstr(ct, "海上予報")) && !strstr(ct, "火山")) {
                /* 火山現象に関する海上警報 (VFSV) has the volcano code list. */
                f = JMA_FAMILY_MARINE;
        }
        /* VXWW50 and VXKO keep their Control/Title in the revised system; the
         * level-named Head/Title ("…レベル４土砂災害危険警報") tells them apart. */
        if ((f == JMA_FAMILY_LANDSLIDE || f == JMA_FAMILY_RIVER) && strstr(ht, "レベル"))
                g = JMA_GEN_R06;
        if (f == JMA_FAMILY_OUTLOOK)
                g = JMA_GEN_R06;
        *family = f;
        *generation = g;
}

/* ---- levels and notes ---- */

static void add_note(struct parse_state *st, enum jma_note_kind kind, const char *code,
                     const char *name, int table_level, int name_level)
{
        struct jma_report *r = st->r;
        for (size_t i = 0; i < r->n_notes; i++) {
                const struct jma_note *n = &r->notes[i];
                if (n->kind == kind && strcmp(n->code, code) == 0 &&
                    ((n->name == NULL && name == NULL) ||
                     (n->name && name && strcmp(n->name, name) == 0)))
                        return;
        }
        struct jma_note *n = PUSH(st, notes, n_notes, cap_notes);
        if (!n)
                return;
        n->kind = kind;
        n->family = r->family;
        n->generation = r->generation;
        n->code = code;
        n->name = name;
        n->table_level = table_level;
        n->name_level = name_level;
}

/* Looks a code up in the level table; records what the caller should log. */
static int level_for(struct parse_state *st, const char *code, const char *name, bool check_name,
                     bool *known, int *name_level)
{
        *known = false;
        *name_level = check_name ? jma_level_from_name(name) : 0;
        /* A family without a code list has nothing to look up or report. */
        if (!code || st->r->family == JMA_FAMILY_OTHER)
                return 0;
        const struct jma_level_row *row = jma_level_lookup(st->r->family, st->r->generation, code);
        if (!row) {
                add_note(st, JMA_NOTE_UNKNOWN_CODE, code, name, 0, *name_level);
                return 0;
        }
        *known = true;
        if (*name_level && *name_level != row->level)
                add_note(st, JMA_NOTE_LEVEL_MISMATCH, code, name, row->level, *name_level);
        return row->level;
}

/* 「レベルN」 names are checked only where N is the 警戒レベル (not in
 * volcano telegrams, whose レベル is the 噴火警戒レベル). */
static bool family_has_level_names(enum jma_family f)
{
        return f == JMA_FAMILY_WEATHER || f == JMA_FAMILY_LANDSLIDE || f == JMA_FAMILY_RIVER ||
               f == JMA_FAMILY_OUTLOOK;
}

/* ---- Body parts ---- */

struct area_ref {
        const char *code;
        const char *name;
};

/* Body/Warning (or, with head, Head/Headline/Information): one entry per Kind (direct child of
 * Item) x per Area (from Item/Area and Item/Areas/Area, in document order). */
static void read_warning(struct parse_state *st, const xmlNode *w, bool head)
{
        const char *wtype = attr_of(st, w, "type");
        bool check = family_has_level_names(st->r->family);
        FOR_CHILDREN(item, w, "Item")
        {
                size_t n_areas = 0, cap = 0;
                struct area_ref *areas = NULL;
                for (const xmlNode *c = item->children; c && !st->err; c = c->next) {
                        const xmlNode *list[2] = {NULL, NULL};
                        if (is_el(c, "Area")) {
                                list[0] = c;
                        } else if (is_el(c, "Areas")) {
                                list[1] = c;
                        } else {
                                continue;
                        }
                        const xmlNode *a = list[0] ? list[0] : first_child(list[1], "Area");
                        for (; a; a = list[0] ? NULL : next_sibling(a, "Area")) {
                                if (n_areas == cap) {
                                        size_t nc = cap ? cap * 2 : 8;
                                        struct area_ref *p = realloc(areas, nc * sizeof(*p));
                                        if (!p) {
                                                st->err = -ENOMEM;
                                                break;
                                        }
                                        areas = p;
                                        cap = nc;
                                }
                                areas[n_areas].code = child_text(st, a, "Code");
                                areas[n_areas].name = child_text(st, a, "Name");
                                n_areas++;
                        }
                }
                FOR_CHILDREN(kind, item, "Kind")
                {
                        if (st->err)
                                break;
                        const char *code = child_text(st, kind, "Code");
                        const char *name = child_text(st, kind, "Name");
                        const char *status = child_text(st, kind, "Status");
                        bool known;
                        int name_level;
                        int level = level_for(st, code, name, check, &known, &name_level);
                        for (size_t i = 0; i < n_areas; i++) {
                                struct jma_warning *e =
                                    head ? PUSH(st, head_items, n_head_items, cap_head_items)
                                         : PUSH(st, warnings, n_warnings, cap_warnings);
                                if (!e)
                                        break;
                                e->warning_type = wtype;
                                e->area_code = areas[i].code;
                                e->area_name = areas[i].name;
                                e->kind_code = code;
                                e->kind_name = name;
                                e->kind_status = status;
                                e->level = level;
                                e->name_level = name_level;
                                e->known = known;
                        }
                }
                free(areas);
                if (st->err)
                        return;
        }
}

/* An ISO 6709 coordinate as JMA writes it: "+37.5+137.2-10000/" (degrees,
 * height in metres, negative below sea level); the height may be missing
 * ("+56.7+161.4/": depth unknown). */
static void parse_coordinate(const char *s, double *lat, double *lon, double *depth_km)
{
        *lat = *lon = *depth_km = NAN;
        if (!s)
                return;
        double v[3];
        int n = 0;
        const char *p = s;
        while (n < 3 && (*p == '+' || *p == '-')) {
                char *end;
                const char *q = p + 1;
                if (*q < '0' || *q > '9')
                        return;
                v[n] = strtod(p, &end);
                if (end == p)
                        return;
                /* Only digits and one dot belong to a component. */
                for (const char *k = q; k < end; k++)
                        if (!((*k >= '0' && *k <= '9') || *k == '.'))
                                return;
                n++;
                p = end;
        }
        if (n < 2 || strcmp(p, "/") != 0)
                return;
        *lat = v[0];
        *lon = v[1];
        if (n == 3)
                *depth_km = v[2] == 0 ? 0.0 : -v[2] / 1000.0;
}

static double parse_number(const char *s)
{
        if (!s)
                return NAN;
        char *end;
        double v = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(v))
                return NAN;
        return v;
}

static void read_earthquake(struct parse_state *st, const xmlNode *eq)
{
        struct jma_earthquake *e = calloc(1, sizeof(*e));
        if (!e) {
                st->err = -ENOMEM;
                return;
        }
        st->r->earthquake = e;
        e->origin_time = child_text(st, eq, "OriginTime");
        const xmlNode *area = first_child(first_child(eq, "Hypocenter"), "Area");
        e->hypocenter_name = child_text(st, area, "Name");
        e->lat = e->lon = e->depth_km = NAN;
        /* The degrees-and-minutes copy (type 震源位置（度分）) is skipped. */
        FOR_CHILDREN(c, area, "Coordinate")
        {
                const char *type = attr_of(st, c, "type");
                if (type && strstr(type, "度分"))
                        continue;
                parse_coordinate(text_of(st, c), &e->lat, &e->lon, &e->depth_km);
                break;
        }
        e->magnitude = parse_number(child_text(st, eq, "Magnitude"));
        e->max_intensity = NULL;
}

static void read_tsunami(struct parse_state *st, const xmlNode *ts)
{
        FOR_CHILDREN(item, first_child(ts, "Forecast"), "Item")
        {
                struct jma_tsunami *t = PUSH(st, tsunami, n_tsunami, cap_tsunami);
                if (!t)
                        return;
                const xmlNode *area = first_child(item, "Area");
                const xmlNode *kind = first_child(first_child(item, "Category"), "Kind");
                t->area_code = child_text(st, area, "Code");
                t->area_name = child_text(st, area, "Name");
                t->kind_code = child_text(st, kind, "Code");
                t->kind_name = child_text(st, kind, "Name");
        }
}

static void read_volcano(struct parse_state *st, const xmlNode *vi)
{
        const char *itype = attr_of(st, vi, "type");
        FOR_CHILDREN(item, vi, "Item")
        {
                FOR_CHILDREN(kind, item, "Kind")
                {
                        const char *code = child_text(st, kind, "Code");
                        const char *name = child_text(st, kind, "Name");
                        const char *cond = child_text(st, kind, "Condition");
                        int alert = 0;
                        /* 噴火警戒レベル: codes 11-15 are レベル１-５. */
                        if (code && strlen(code) == 2 && code[0] == '1' && code[1] >= '1' &&
                            code[1] <= '5')
                                alert = code[1] - '0';
                        FOR_CHILDREN(a, first_child(item, "Areas"), "Area")
                        {
                                struct jma_volcano *v = PUSH(st, volcano, n_volcano, cap_volcano);
                                if (!v)
                                        return;
                                v->info_type = itype;
                                v->area_code = child_text(st, a, "Code");
                                v->area_name = child_text(st, a, "Name");
                                v->kind_code = code;
                                v->kind_name = name;
                                v->kind_condition = cond;
                                v->alert_level = alert;
                        }
                }
        }
}

static int threshold_level(const char *type)
{
        int n = jma_level_from_name(type);
        if (n || !type)
                return n;
        if (strstr(type, "水防団待機"))
                return 1;
        if (strstr(type, "氾濫注意"))
                return 2;
        if (strstr(type, "避難判断"))
                return 3;
        if (strstr(type, "氾濫危険"))
                return 4;
        return 0;
}

static void read_thresholds(struct parse_state *st, const xmlNode *add)
{
        FOR_CHILDREN(ffa, add, "FloodForecastAddition")
        {
                FOR_CHILDREN(hsp, ffa, "HydrometricStationPart")
                {
                        const xmlNode *area = first_child(hsp, "Area");
                        const char *scode = child_text(st, area, "Code");
                        const char *sname = child_text(st, area, "Name");
                        FOR_CHILDREN(wl, first_child(hsp, "Criteria"), "WaterLevel")
                        {
                                struct jma_threshold *t =
                                    PUSH(st, thresholds, n_thresholds, cap_thresholds);
                                if (!t)
                                        return;
                                t->station_code = scode;
                                t->station_name = sname;
                                t->type = attr_of(st, wl, "type");
                                t->unit = attr_of(st, wl, "unit");
                                t->condition = attr_of(st, wl, "condition");
                                t->value = parse_number(text_of(st, wl));
                                t->level = threshold_level(t->type);
                        }
                }
        }
}

struct time_def {
        const char *id;
        const char *datetime;
        const char *duration;
};

static void read_significancy(struct parse_state *st, const xmlNode *n, const struct area_ref *area,
                              const struct time_def *defs, size_t n_defs)
{
        for (const xmlNode *c = n->children; c && !st->err; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!is_el(c, "Significancy")) {
                        read_significancy(st, c, area, defs, n_defs);
                        continue;
                }
                const char *ref = attr_of(st, c, "refID");
                struct jma_outlook *o = PUSH(st, outlook, n_outlook, cap_outlook);
                if (!o)
                        return;
                o->area_code = area->code;
                o->area_name = area->name;
                o->type = attr_of(st, c, "type");
                for (size_t i = 0; ref && i < n_defs; i++) {
                        if (defs[i].id && strcmp(defs[i].id, ref) == 0) {
                                o->datetime = defs[i].datetime;
                                o->duration = defs[i].duration;
                                break;
                        }
                }
                o->code = child_text(st, c, "Code");
                o->name = child_text(st, c, "Name");
                o->level = level_for(st, o->code, o->name, true, &o->known, &o->name_level);
        }
}

/* VPWP50: MeteorologicalInfos/TimeSeriesInfo with TimeDefines and, per
 * Item (one area), Kind/Property/SignificancyPart/…/Significancy[@refID]. */
static void read_outlook(struct parse_state *st, const xmlNode *mis)
{
        FOR_CHILDREN(tsi, mis, "TimeSeriesInfo")
        {
                struct time_def *defs = NULL;
                size_t n_defs = 0, cap = 0;
                FOR_CHILDREN(td, first_child(tsi, "TimeDefines"), "TimeDefine")
                {
                        if (n_defs == cap) {
                                size_t nc = cap ? cap * 2 : 16;
                                struct time_def *p = realloc(defs, nc * sizeof(*p));
                                if (!p) {
                                        st->err = -ENOMEM;
                                        break;
                                }
                                defs = p;
                                cap = nc;
                        }
                        defs[n_defs].id = attr_of(st, td, "timeId");
                        defs[n_defs].datetime = child_text(st, td, "DateTime");
                        defs[n_defs].duration = child_text(st, td, "Duration");
                        n_defs++;
                }
                FOR_CHILDREN(item, tsi, "Item")
                {
                        if (st->err)
                                break;
                        const xmlNode *a = first_child(item, "Area");
                        struct area_ref area = {child_text(st, a, "Code"),
                                                child_text(st, a, "Name")};
                        FOR_CHILDREN(kind, item, "Kind")
                        {
                                FOR_CHILDREN(sp, first_child(kind, "Property"), "SignificancyPart")
                                read_significancy(st, sp, &area, defs, n_defs);
                        }
                }
                free(defs);
                if (st->err)
                        return;
        }
}

/* 府県気象防災速報 (VPBS50): MeteorologicalInfos/MeteorologicalInfo/Item
 * whose Kind/Property/Type is 雨の実況 and whose Area is a 7-digit
 * municipality (記録的短時間大雨: 「板橋区付近」).  Items at an AMeDAS
 * Station, 線状降水帯 (6-digit areas) and snow are left out. */
static void read_rain_areas(struct parse_state *st, const xmlNode *mis)
{
        const char *wtype = attr_of(st, mis, "type");
        FOR_CHILDREN(mi, mis, "MeteorologicalInfo")
        {
                FOR_CHILDREN(item, mi, "Item")
                {
                        if (st->err)
                                return;
                        const char *type = child_text(
                            st, first_child(first_child(item, "Kind"), "Property"), "Type");
                        const xmlNode *a = first_child(item, "Area");
                        const char *code = child_text(st, a, "Code");
                        if (!type || strcmp(type, "雨の実況") != 0 || !code || strlen(code) != 7)
                                continue;
                        struct jma_warning *e = PUSH(st, rain_areas, n_rain_areas, cap_rain_areas);
                        if (!e)
                                return;
                        e->warning_type = wtype;
                        e->area_code = code;
                        e->area_name = child_text(st, a, "Name");
                        e->kind_code = "1";
                        e->kind_name = "記録的短時間大雨情報";
                        e->kind_status = child_text(st, a, "Status");
                }
        }
}

static void read_body(struct parse_state *st, const xmlNode *body)
{
        struct jma_report *r = st->r;
        const char *max_int = NULL;
        for (const xmlNode *c = body->children; c && !st->err; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_el(c, "Warning")) {
                        read_warning(st, c, false);
                } else if (is_el(c, "Earthquake")) {
                        if (!r->earthquake)
                                read_earthquake(st, c);
                } else if (is_el(c, "Intensity")) {
                        if (!max_int)
                                max_int = child_text(st, first_child(c, "Observation"), "MaxInt");
                } else if (is_el(c, "Tsunami")) {
                        read_tsunami(st, c);
                } else if (is_el(c, "VolcanoInfo")) {
                        read_volcano(st, c);
                } else if (is_el(c, "AdditionalInfo")) {
                        read_thresholds(st, c);
                } else if (is_el(c, "MeteorologicalInfos") && r->family == JMA_FAMILY_OUTLOOK) {
                        read_outlook(st, c);
                } else if (is_el(c, "MeteorologicalInfos") && r->family == JMA_FAMILY_HEAVY_RAIN) {
                        read_rain_areas(st, c);
                }
        }
        r->max_intensity = max_int;
        if (r->earthquake)
                r->earthquake->max_intensity = max_int;
}

/* ---- the parse ---- */

/* What the libxml2 callbacks report back to jma_parse (ctxt->_private). */
struct parse_watch {
        bool saw_doctype;
        bool have_error;
        int code, line; /* the first error, which says what went wrong */
        char message[160];
};

/* Keeps the first error: the later ones (an unclosed tag after a mismatched
 * one) would hide whether the input was truncated or malformed. */
static void on_error(void *ctx, xmlErrorPtr e)
{
        xmlParserCtxtPtr ctxt = ctx;
        struct parse_watch *w = ctxt ? ctxt->_private : NULL;
        if (!w || !e || w->have_error || e->level < XML_ERR_ERROR)
                return;
        w->have_error = true;
        w->code = e->code;
        w->line = e->line;
        snprintf(w->message, sizeof(w->message), "%s", e->message ? e->message : "parse error");
        size_t n = strlen(w->message);
        while (n > 0 && (w->message[n - 1] == '\n' || w->message[n - 1] == ' '))
                w->message[--n] = '\0';
}

/* Telegrams never have a DOCTYPE.  Stopping the parser the moment one starts,
 * before its internal subset is read, means no entity is ever declared, so
 * nothing can be expanded or fetched. */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
        (void)name;
        (void)external_id;
        (void)system_id;
        xmlParserCtxtPtr ctxt = ctx;
        ((struct parse_watch *)ctxt->_private)->saw_doctype = true;
        xmlStopParser(ctxt);
}

static bool error_is_truncation(int code)
{
        switch (code) {
        case XML_ERR_DOCUMENT_END:
        case XML_ERR_TAG_NOT_FINISHED:
        case XML_ERR_DOCUMENT_EMPTY:
        case XML_ERR_LTSLASH_REQUIRED:
        case XML_ERR_GT_REQUIRED:
        case XML_ERR_COMMENT_NOT_FINISHED:
        case XML_ERR_CDATA_NOT_FINISHED:
        case XML_ERR_ATTRIBUTE_NOT_FINISHED:
        case XML_ERR_LITERAL_NOT_FINISHED:
        case XML_ERR_PI_NOT_FINISHED:
        case XML_ERR_XMLDECL_NOT_FINISHED:
                return true;
        default:
                return false;
        }
}

int jma_parse(const void *data, size_t len, const struct jma_parse_options *opts,
              struct jma_report **out, struct jma_parse_error *err)
{
        size_t max = opts && opts->max_bytes ? opts->max_bytes : JMA_DEFAULT_MAX_BYTES;
        xmlParserCtxtPtr ctxt = NULL;
        xmlDocPtr doc = NULL;
        struct jma_report *r = NULL;
        struct parse_watch watch = {0};
        int ret;

        *out = NULL;
        if (err) {
                err->reason = JMA_REFUSED_NONE;
                err->message[0] = '\0';
        }
        if (len > max)
                return refuse(err, JMA_REFUSED_TOO_LARGE,
                              "document of %zu bytes exceeds the cap of %zu", len, max);
        if (len > INT32_MAX)
                return refuse(err, JMA_REFUSED_TOO_LARGE, "document of %zu bytes is too large",
                              len);
        size_t ws = 0;
        while (ws < len && xml_space(((const char *)data)[ws]))
                ws++;
        if (ws == len)
                return refuse(err, JMA_REFUSED_EMPTY, "empty document");
        size_t bad = utf8_check(data, len);
        if (bad != len)
                return refuse(err, JMA_REFUSED_ENCODING, "invalid UTF-8 at byte %zu", bad);

        xmlInitParser();
        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return refuse(err, JMA_REFUSED_NOMEM, "out of memory");
        ctxt->_private = &watch;
        ctxt->sax->internalSubset = on_internal_subset;
        ctxt->sax->serror = on_error;
        /* NONET always; never NOENT, RECOVER, HUGE or DTDLOAD.  The encoding
         * is UTF-8 whatever the declaration says: the bytes were checked. */
        doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                    XML_PARSE_NOCDATA);
        if (watch.saw_doctype || (doc && (doc->intSubset || doc->extSubset))) {
                ret = refuse(err, JMA_REFUSED_DOCTYPE,
                             "document has a DOCTYPE (telegrams never have one)");
                goto out;
        }
        if (!doc || !ctxt->wellFormed) {
                bool trunc = watch.have_error && error_is_truncation(watch.code);
                ret = refuse(err, trunc ? JMA_REFUSED_TRUNCATED : JMA_REFUSED_MALFORMED,
                             "%s XML at line %d: %s", trunc ? "truncated" : "not well-formed",
                             watch.line, watch.have_error ? watch.message : "parse error");
                goto out;
        }
        xmlNode *root = xmlDocGetRootElement(doc);
        if (!is_el(root, "Report") || !root->ns || !root->ns->href ||
            strcmp((const char *)root->ns->href, JMX_NS) != 0) {
                ret = refuse(err, JMA_REFUSED_NOT_JMA,
                             "root element is not Report in namespace " JMX_NS);
                goto out;
        }

        r = calloc(1, sizeof(*r));
        if (!r || !(r->arena = calloc(1, sizeof(*r->arena)))) {
                ret = refuse(err, JMA_REFUSED_NOMEM, "out of memory");
                goto out;
        }
        struct parse_state st = {.r = r};
        const xmlNode *control = first_child(root, "Control");
        r->title = child_text(&st, control, "Title");
        r->datetime = child_text(&st, control, "DateTime");
        r->status = child_text(&st, control, "Status");
        r->editorial_office = child_text(&st, control, "EditorialOffice");
        r->publishing_office = child_text(&st, control, "PublishingOffice");
        const xmlNode *head = first_child(root, "Head");
        r->head_title = child_text(&st, head, "Title");
        r->report_datetime = child_text(&st, head, "ReportDateTime");
        r->target_datetime = child_text(&st, head, "TargetDateTime");
        r->event_id = child_text(&st, head, "EventID");
        r->info_type = child_text(&st, head, "InfoType");
        r->serial = child_text(&st, head, "Serial");
        r->info_kind = child_text(&st, head, "InfoKind");
        r->headline = child_text(&st, first_child(head, "Headline"), "Text");
        jma_classify(r->title, r->head_title, &r->family, &r->generation);
        FOR_CHILDREN(info, first_child(head, "Headline"), "Information")
        {
                if (st.err)
                        break;
                read_warning(&st, info, true);
        }
        const xmlNode *body = first_child(root, "Body");
        if (body)
                read_body(&st, body);
        if (st.err) {
                ret = st.err == -E2BIG ? refuse(err, JMA_REFUSED_TOO_MANY, "more than %d entries",
                                                JMA_MAX_ENTRIES)
                                       : refuse(err, JMA_REFUSED_NOMEM, "out of memory");
                goto out;
        }
        *out = r;
        r = NULL;
        ret = 0;
out:
        jma_report_free(r);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return ret;
}

void jma_report_free(struct jma_report *r)
{
        if (!r)
                return;
        free(r->warnings);
        free(r->head_items);
        free(r->rain_areas);
        free(r->earthquake);
        free(r->tsunami);
        free(r->volcano);
        free(r->thresholds);
        free(r->outlook);
        free(r->notes);
        arena_free(r->arena);
        free(r);
}

int jma_station_thresholds(const struct jma_report *r, const char *station_code,
                           struct level_thresholds *t)
{
        int n = 0;
        level_thresholds_clear(t);
        for (size_t i = 0; r && station_code && i < r->n_thresholds; i++) {
                const struct jma_threshold *th = &r->thresholds[i];
                if (!th->station_code || strcmp(th->station_code, station_code) != 0 || !th->type ||
                    isnan(th->value))
                        continue;
                double *slot = NULL;
                if (strstr(th->type, "水防団待機"))
                        slot = &t->standby;
                else if (strstr(th->type, "氾濫注意"))
                        slot = &t->caution;
                else if (strstr(th->type, "避難判断"))
                        slot = &t->evacuation;
                else if (strstr(th->type, "氾濫危険"))
                        slot = &t->danger;
                if (slot) {
                        *slot = th->value;
                        n++;
                }
        }
        return n;
}
