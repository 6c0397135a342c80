#include "cap.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_NS  "urn:oasis:names:tc:emergency:cap:1.2"
#define ATOM_NS "http://www.w3.org/2005/Atom"

int cap_status_from_ja(const char *s, enum cap_status *out)
{
        if (!s)
                return -EINVAL;
        if (strcmp(s, "通常") == 0)
                *out = CAP_ACTUAL;
        else if (strcmp(s, "訓練") == 0)
                *out = CAP_EXERCISE;
        else if (strcmp(s, "試験") == 0)
                *out = CAP_TEST;
        else
                return -EINVAL;
        return 0;
}

int cap_change_from_ja(const char *s, enum cap_change *out)
{
        if (!s)
                return -EINVAL;
        if (strcmp(s, "発表") == 0 || strcmp(s, "新規") == 0)
                *out = CAP_NEW;
        else if (strcmp(s, "変更") == 0 || strcmp(s, "更新") == 0)
                *out = CAP_UPDATE;
        else if (strcmp(s, "継続") == 0)
                *out = CAP_CONTINUE;
        else if (strcmp(s, "解除") == 0)
                *out = CAP_LIFT;
        else if (strcmp(s, "取消") == 0)
                *out = CAP_CANCEL;
        else
                return -EINVAL;
        return 0;
}

const char *cap_status_name(enum cap_status s)
{
        switch (s) {
        case CAP_EXERCISE:
                return "Exercise";
        case CAP_TEST:
                return "Test";
        default:
                return "Actual";
        }
}

const char *cap_msg_type(enum cap_change c)
{
        switch (c) {
        case CAP_NEW:
                return "Alert";
        case CAP_CANCEL:
                return "Cancel";
        default:
                return "Update";
        }
}

/* Distance of p from the segment a-b, in degrees (the areas are a city:
 * a flat approximation is enough for choosing points). */
static double seg_dist(const double *p, const double *a, const double *b)
{
        double dx = b[0] - a[0], dy = b[1] - a[1];
        double l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;
        if (t < 0)
                t = 0;
        else if (t > 1)
                t = 1;
        double x = a[0] + t * dx - p[0], y = a[1] + t * dy - p[1];
        return sqrt(x * x + y * y);
}

/* Marks the points to keep between i and j (exclusive), iteratively. */
static void dp_mark(const double *pt, size_t i, size_t j, double tol, unsigned char *keep)
{
        size_t stack_cap = 64, top = 0;
        size_t *stack = malloc(stack_cap * 2 * sizeof(size_t));
        if (!stack) {
                /* Without memory keep everything: correct, only larger. */
                for (size_t k = i; k <= j; k++)
                        keep[k] = 1;
                return;
        }
        stack[top++] = i;
        stack[top++] = j;
        while (top) {
                size_t b = stack[--top], a = stack[--top];
                double best = -1;
                size_t bi = 0;
                for (size_t k = a + 1; k < b; k++) {
                        double d = seg_dist(&pt[2 * k], &pt[2 * a], &pt[2 * b]);
                        if (d > best) {
                                best = d;
                                bi = k;
                        }
                }
                if (best > tol && bi) {
                        keep[bi] = 1;
                        if (top + 4 > stack_cap * 2) {
                                size_t *ns = realloc(stack, stack_cap * 4 * sizeof(size_t));
                                if (!ns) {
                                        for (size_t k = a; k <= b; k++)
                                                keep[k] = 1;
                                        continue;
                                }
                                stack = ns;
                                stack_cap *= 2;
                        }
                        stack[top++] = a;
                        stack[top++] = bi;
                        stack[top++] = bi;
                        stack[top++] = b;
                }
        }
        free(stack);
}

size_t cap_simplify_ring(const double *ll, size_t n, double tol, double *out)
{
        /* Work on the open ring: drop a closing point equal to the first. */
        if (n >= 2 && ll[0] == ll[2 * (n - 1)] && ll[1] == ll[2 * (n - 1) + 1])
                n--;
        if (n < 3)
                return 0;
        unsigned char *keep = calloc(n + 1, 1);
        double *pt = malloc((n + 1) * 2 * sizeof(double));
        size_t m = 0;
        if (!keep || !pt)
                goto out;
        memcpy(pt, ll, n * 2 * sizeof(double));
        pt[2 * n] = ll[0];
        pt[2 * n + 1] = ll[1];
        /* Split the closed ring at the point farthest from the first, so
         * both halves are open polylines. */
        size_t far = 1;
        double fd = -1;
        for (size_t k = 1; k < n; k++) {
                double dx = pt[2 * k] - pt[0], dy = pt[2 * k + 1] - pt[1];
                if (dx * dx + dy * dy > fd) {
                        fd = dx * dx + dy * dy;
                        far = k;
                }
        }
        keep[0] = keep[far] = keep[n] = 1;
        if (tol <= 0) {
                memset(keep, 1, n + 1);
        } else {
                dp_mark(pt, 0, far, tol, keep);
                dp_mark(pt, far, n, tol, keep);
        }
        for (size_t k = 0; k <= n; k++)
                if (keep[k]) {
                        out[2 * m] = pt[2 * k];
                        out[2 * m + 1] = pt[2 * k + 1];
                        m++;
                }
        if (m < 4)
                m = 0;
out:
        free(keep);
        free(pt);
        return m;
}

/* XML text: escapes markup and drops bytes XML 1.0 does not allow. */
static int xml_text(struct buf *out, const char *s)
{
        int rc = 0;
        for (const unsigned char *p = (const unsigned char *)s; p && *p && rc == 0; p++) {
                switch (*p) {
                case '&':
                        rc = buf_puts(out, "&amp;");
                        break;
                case '<':
                        rc = buf_puts(out, "&lt;");
                        break;
                case '>':
                        rc = buf_puts(out, "&gt;");
                        break;
                case '"':
                        rc = buf_puts(out, "&quot;");
                        break;
                default:
                        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                                break;
                        rc = buf_putc(out, (char)*p);
                }
        }
        return rc;
}

static int elem(struct buf *out, const char *indent, const char *name, const char *text)
{
        if (!text)
                return 0;
        int rc = buf_printf(out, "%s<%s>", indent, name);
        rc |= xml_text(out, text);
        rc |= buf_printf(out, "</%s>\n", name);
        return rc;
}

static int elem_time(struct buf *out, const char *indent, const char *name, int64_t t)
{
        char ts[32];
        if (!t)
                return 0;
        if (time_format_jst(t, ts, sizeof(ts)) < 0)
                return -EINVAL;
        return elem(out, indent, name, ts);
}

static bool cap_token_ok(const char *s)
{
        /* CAP 1.2 3.2.1: identifiers and senders hold no spaces, commas or
         * restricted characters (< and &). */
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (*s == ' ' || *s == ',' || *s == '<' || *s == '&' || (unsigned char)*s < 0x21)
                        return false;
        return true;
}

static int write_polygon(struct buf *out, const struct cap_ring *r, double tol)
{
        double *pts = malloc((r->n + 1) * 2 * sizeof(double));
        if (!pts)
                return -ENOMEM;
        size_t m = cap_simplify_ring(r->lonlat, r->n, tol, pts);
        int rc = 0;
        if (m >= 4) {
                rc = buf_puts(out, "      <polygon>");
                for (size_t i = 0; i < m && rc == 0; i++)
                        /* CAP writes WGS 84 pairs as "lat,lon". */
                        rc = buf_printf(out, "%s%.5f,%.5f", i ? " " : "", pts[2 * i + 1],
                                        pts[2 * i]);
                rc |= buf_puts(out, "</polygon>\n");
        }
        free(pts);
        return rc;
}

/* The polygons of each distinct ring set, rendered once per tolerance: a
 * feed repeats one city's boundary in every message of that city. */
#define MEMO_MAX 64
struct memo {
        struct {
                const struct cap_ring *rings;
                size_t n_rings;
                struct buf text;
        } e[MEMO_MAX];
        size_t n;
};

static void memo_clear(struct memo *mo)
{
        for (size_t i = 0; i < mo->n; i++)
                buf_free(&mo->e[i].text);
        mo->n = 0;
}

static int write_polygons(struct buf *out, const struct cap_area *ar, double tol, struct memo *mo)
{
        if (mo) {
                for (size_t i = 0; i < mo->n; i++)
                        if (mo->e[i].rings == ar->rings && mo->e[i].n_rings == ar->n_rings)
                                return mo->e[i].text.len
                                           ? buf_append(out, mo->e[i].text.data, mo->e[i].text.len)
                                           : 0;
                if (mo->n < MEMO_MAX) {
                        struct buf *t = &mo->e[mo->n].text;
                        buf_init(t, out->max);
                        mo->e[mo->n].rings = ar->rings;
                        mo->e[mo->n].n_rings = ar->n_rings;
                        mo->n++;
                        int rc = 0;
                        for (size_t r = 0; r < ar->n_rings && rc == 0; r++)
                                rc = write_polygon(t, &ar->rings[r], tol);
                        if (rc < 0)
                                return rc;
                        return t->len ? buf_append(out, t->data, t->len) : 0;
                }
        }
        int rc = 0;
        for (size_t r = 0; r < ar->n_rings && rc == 0; r++)
                rc = write_polygon(out, &ar->rings[r], tol);
        return rc;
}

static int write_message(struct buf *out, const struct cap_message *m, double tol, bool polygons,
                         bool standalone, struct memo *mo)
{
        if (!cap_token_ok(m->identifier) || !cap_token_ok(m->sender) || !m->event ||
            (m->change == CAP_CANCEL && m->n_refs == 0))
                return -EINVAL;
        for (size_t i = 0; i < m->n_refs; i++)
                if (!cap_token_ok(m->refs[i].sender) || !cap_token_ok(m->refs[i].identifier))
                        return -EINVAL;
        bool lift = m->change == CAP_LIFT;
        int lvl = m->level;
        const char *urgency, *severity, *certainty;
        if (lvl >= 5) {
                urgency = "Immediate", severity = "Extreme", certainty = "Observed";
        } else if (lvl == 4) {
                urgency = "Immediate", severity = "Severe", certainty = "Likely";
        } else if (lvl == 3) {
                urgency = "Expected", severity = "Severe", certainty = "Likely";
        } else if (lvl == 2) {
                urgency = "Expected", severity = "Moderate", certainty = "Likely";
        } else {
                urgency = "Future", severity = "Minor", certainty = "Possible";
        }
        if (lift) {
                urgency = "Past";
                severity = "Minor";
                certainty = "Observed";
        }
        int rc = 0;
        if (standalone)
                rc |= buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        rc |= buf_puts(out, "<alert xmlns=\"" CAP_NS "\">\n");
        rc |= elem(out, "  ", "identifier", m->identifier);
        rc |= elem(out, "  ", "sender", m->sender);
        rc |= elem_time(out, "  ", "sent", m->sent_s);
        rc |= elem(out, "  ", "status", cap_status_name(m->status));
        rc |= elem(out, "  ", "msgType", cap_msg_type(m->change));
        rc |= elem(out, "  ", "scope", "Public");
        if (m->status == CAP_EXERCISE)
                rc |= elem(out, "  ", "note", "訓練 (exercise)");
        if (m->n_refs) {
                rc |= buf_puts(out, "  <references>");
                for (size_t i = 0; i < m->n_refs; i++) {
                        char ts[32];
                        if (time_format_jst(m->refs[i].sent_s, ts, sizeof(ts)) < 0)
                                return -EINVAL;
                        rc |= buf_printf(out, "%s", i ? " " : "");
                        rc |= xml_text(out, m->refs[i].sender);
                        rc |= buf_putc(out, ',');
                        rc |= xml_text(out, m->refs[i].identifier);
                        rc |= buf_printf(out, ",%s", ts);
                }
                rc |= buf_puts(out, "</references>\n");
        }
        rc |= buf_puts(out, "  <info>\n");
        rc |= elem(out, "    ", "language", "ja-JP");
        rc |= elem(out, "    ", "category", m->category ? m->category : "Met");
        rc |= elem(out, "    ", "event", m->event);
        if (m->change != CAP_CANCEL)
                rc |= elem(out, "    ", "responseType",
                           lift               ? "AllClear"
                           : m->response_type ? m->response_type
                                              : "Monitor");
        rc |= elem(out, "    ", "urgency", urgency);
        rc |= elem(out, "    ", "severity", severity);
        rc |= elem(out, "    ", "certainty", certainty);
        if (lvl >= 1 && lvl <= 5) {
                char code[8];
                snprintf(code, sizeof(code), "%d", lvl);
                rc |= buf_puts(out, "    <eventCode>\n");
                rc |= elem(out, "      ", "valueName", "警戒レベル");
                rc |= elem(out, "      ", "value", code);
                rc |= buf_puts(out, "    </eventCode>\n");
        }
        rc |= elem_time(out, "    ", "effective", m->effective_s);
        rc |= elem_time(out, "    ", "onset", m->onset_s);
        rc |= elem_time(out, "    ", "expires", m->expires_s);
        rc |= elem(out, "    ", "senderName", m->sender_name);
        rc |= elem(out, "    ", "headline", m->headline);
        rc |= elem(out, "    ", "description", m->description);
        rc |= elem(out, "    ", "instruction", m->instruction);
        rc |= elem(out, "    ", "web", m->web);
        for (size_t a = 0; a < m->n_areas; a++) {
                const struct cap_area *ar = &m->areas[a];
                rc |= buf_puts(out, "    <area>\n");
                rc |= elem(out, "      ", "areaDesc", ar->desc ? ar->desc : "");
                if (polygons && ar->n_rings && rc == 0)
                        rc = write_polygons(out, ar, tol, mo);
                if (ar->jma_code) {
                        rc |= buf_puts(out, "      <geocode>\n");
                        rc |= elem(out, "        ", "valueName", "JMA");
                        rc |= elem(out, "        ", "value", ar->jma_code);
                        rc |= buf_puts(out, "      </geocode>\n");
                }
                rc |= buf_puts(out, "    </area>\n");
        }
        rc |= buf_puts(out, "  </info>\n</alert>\n");
        if (rc == -ENOMEM)
                return rc;
        return rc ? -ENOBUFS : 0;
}

int cap_write_message(struct buf *out, const struct cap_message *m, double tol, bool polygons,
                      bool standalone)
{
        return write_message(out, m, tol, polygons, standalone, NULL);
}

/* Writes the feed; -EFBIG as soon as it grows past max_bytes. */
static int write_feed(struct buf *out, const struct cap_feed *f, const struct cap_message *m,
                      size_t n, double tol, bool polygons, size_t max_bytes, struct memo *mo)
{
        size_t start = out->len;
        int rc = buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<feed xmlns=\"" ATOM_NS "\">\n");
        rc |= elem(out, "  ", "id", f->id);
        rc |= elem(out, "  ", "title", f->title);
        rc |= elem_time(out, "  ", "updated", f->updated_s);
        rc |= buf_puts(out, "  <author>\n");
        rc |= elem(out, "    ", "name", f->author);
        rc |= buf_puts(out, "  </author>\n  <link rel=\"self\" type=\"application/atom+xml\" "
                            "href=\"");
        rc |= xml_text(out, f->self_url);
        rc |= buf_puts(out, "\"/>\n");
        if (rc)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++) {
                const struct cap_message *e = &m[i];
                rc |= buf_puts(out, "  <entry>\n");
                rc |= buf_puts(out, "    <id>");
                rc |= xml_text(out, f->entry_url);
                rc |= xml_text(out, e->identifier);
                rc |= buf_puts(out, "</id>\n");
                rc |= elem(out, "    ", "title", e->headline ? e->headline : e->event);
                rc |= elem_time(out, "    ", "updated", e->sent_s);
                rc |= buf_puts(out, "    <author>\n");
                rc |= elem(out, "      ", "name", e->sender_name ? e->sender_name : e->sender);
                rc |= buf_puts(out, "    </author>\n    <link rel=\"alternate\" "
                                    "type=\"application/cap+xml\" href=\"");
                rc |= xml_text(out, f->entry_url);
                rc |= xml_text(out, e->identifier);
                rc |= buf_puts(out, "\"/>\n");
                rc |= buf_printf(out, "    <category term=\"%s\"/>\n", cap_msg_type(e->change));
                rc |= buf_puts(out, "    <content type=\"application/cap+xml\">\n");
                if (rc)
                        return -ENOBUFS;
                if ((rc = write_message(out, e, tol, polygons, false, mo)) < 0)
                        return rc;
                rc |= buf_puts(out, "    </content>\n  </entry>\n");
                if (out->len - start > max_bytes)
                        return -EFBIG;
        }
        rc |= buf_puts(out, "</feed>\n");
        return rc ? -ENOBUFS : 0;
}

int cap_write_feed(struct buf *out, const struct cap_feed *f, const struct cap_message *m, size_t n,
                   size_t max_bytes, double *tol_used)
{
        /* Tolerances in degrees: 0.00002 (about 2 m) keeps the drawn shape;
         * each step roughly halves the points of a real boundary. */
        static const double tols[] = {CAP_TOL_FINEST, 0.00005, 0.0001, 0.0002, 0.0005,
                                      0.001,          0.002,   0.005,  0.01,   0.02};
        size_t start = out->len;
        struct memo *mo = calloc(1, sizeof(*mo));
        if (!mo)
                return -ENOMEM;
        for (size_t t = 0; t <= sizeof(tols) / sizeof(tols[0]); t++) {
                bool polygons = t < sizeof(tols) / sizeof(tols[0]);
                double tol = polygons ? tols[t] : 0;
                out->len = start;
                if (out->data)
                        out->data[start] = '\0';
                memo_clear(mo);
                int rc = write_feed(out, f, m, n, tol, polygons, max_bytes, mo);
                if (rc == -EINVAL || rc == -ENOMEM) {
                        memo_clear(mo);
                        free(mo);
                        return rc;
                }
                if (rc == 0 && out->len - start <= max_bytes) {
                        if (tol_used)
                                *tol_used = polygons ? tol : -1;
                        memo_clear(mo);
                        free(mo);
                        return 0;
                }
        }
        memo_clear(mo);
        free(mo);
        out->len = start;
        if (out->data)
                out->data[start] = '\0';
        return -EFBIG;
}
