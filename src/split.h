/*
 * split.h - the paragraph table box and the splitter that fills it (private).
 */
#ifndef ND_SPLIT_H
#define ND_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* Longest paragraph kept whole; a longer block is cut into pieces of at most
 * this many bytes, on UTF-8 character boundaries (no text is ever dropped). */
#define ND_MAX_PARAGRAPH_BYTES (UINT32_C(1) << 26)

/* Struct of arrays, one row per paragraph, ordered by (doc, offset). */
typedef struct nd_paratab {
    uint32_t *doc;
    uint64_t *off;
    uint32_t *len;
    uint32_t *line;
    size_t n, cap;
} nd_paratab;

void nd_paratab_release(nd_paratab *pt);

/* Appends the paragraphs of one document to pt.  With ND_SPLIT_AUTO the mode
 * is decided from the text (see split.c); *used receives the mode applied. */
nd_status nd_split_document(nd_paratab *pt, uint32_t doc, const uint8_t *data,
                            size_t size, nd_split_mode mode, nd_split_mode *used);

/* The decision ND_SPLIT_AUTO makes for this text: ND_SPLIT_BLANK or LINE. */
nd_split_mode nd_split_detect(const uint8_t *data, size_t size);

#endif /* ND_SPLIT_H */
