/* JMA's PULL Atom feeds (extra.xml, eqvol.xml, regular.xml, other.xml and
 * their long *_l.xml versions) to a list of entries.  Pure: no I/O, no
 * logging.
 *
 * Each entry is keyed on its link/@href (the telegram URL): real feeds,
 * and the fixtures, decorate <id>.  Entries without an http(s) link are
 * skipped.  A feed is refused when it has a DOCTYPE, is not well-formed,
 * its root is not Atom's <feed>, or it holds more than JMA_FEED_MAX_ENTRIES
 * entries. */
#ifndef SONAE_JMA_FEED_H
#define SONAE_JMA_FEED_H

#include <stddef.h>
#include <stdint.h>

#define JMA_FEED_MAX_ENTRIES 20000

struct jma_feed_entry {
        char *title;     /* = the telegram's Control/Title */
        char *author;    /* 発表官署, e.g. "山形地方気象台" */
        char *href;      /* the telegram URL */
        int64_t updated; /* UTC seconds, 0 when missing or unreadable */
        char type[8];    /* data type code from the URL (VPWW54), "" if none */
};

struct jma_feed {
        struct jma_feed_entry *v;
        size_t n;
        int64_t updated; /* the feed's own <updated>, 0 when missing */
};

/* Parses data[0..len).  Returns 0 and fills out (free with jma_feed_free),
 * or a negative code: -EPERM (DOCTYPE), -EBADMSG (not well-formed), -EPROTO
 * (not an Atom feed), -E2BIG (too many entries), -ENOMEM.  why (may be
 * NULL) gets a one-line reason that never quotes the document. */
int jma_feed_parse(const void *data, size_t len, struct jma_feed *out, char *why, size_t why_len);
/* Accepts NULL and an empty feed. */
void jma_feed_free(struct jma_feed *f);

/* The data type code in a telegram URL ".../20240725040511_0_VPWW54_060000.xml"
 * into out ("VPWW54"); "" when the name has not that form. */
void jma_feed_url_type(const char *href, char out[8]);

#endif
