/*
 * split.h - the paragraph table box and the splitter that fills it (private).
 */
#ifndef ND_SPLIT_H
#define ND_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* Struct of arrays, one row per paragraph, ordered by (doc, offset).
 *
 * Long paragraphs: a block longer than max_len bytes (0 means
 * ND_MAX_PARAGRAPH_BYTES, which is also the ceiling) is cut into pieces of
 * at most max_len bytes - after the last line terminator in the second half
 * of the piece, else before the last ASCII space or tab there, else at a
 * UTF-8 character boundary - and each piece is a paragraph; the line
 * terminator at a cut is left out of both pieces.  No other byte is dropped.
 * After nd_split_document, ncut counts the blocks of that document that were
 * cut and cut_line is the line of the first one (0 if none), so the caller
 * can tell the user. */
typedef struct nd_paratab {
    uint32_t *doc;
    uint64_t *off;
    uint32_t *len;
    uint32_t *line;
    size_t n, cap;
    uint32_t max_len;  /* set by the caller; 0 = ND_MAX_PARAGRAPH_BYTES */
    size_t ncut;       /* blocks cut in the last document split */
    uint32_t cut_line; /* line of the first of them, 0 if none */
} nd_paratab;

void nd_paratab_release(nd_paratab *pt);
/* Makes room for need paragraphs in all four columns.  ND_ERR_NOMEM. */
nd_status nd_paratab_reserve(nd_paratab *pt, size_t need);

/* Appends the paragraphs of one document to pt.  With ND_SPLIT_AUTO the mode
 * is decided from the text (see split.c); *used receives the mode applied. */
nd_status nd_split_document(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t size,
                            nd_split_mode mode, nd_split_mode *used);

/* nd_split_document for the paragraphs of bytes [from, to) of the text
 * only (the split mode decided over the whole text; lines numbered from the
 * text's start), where from and to are cut points (nd_split_cut): the
 * pieces of a text cut at such points give together exactly the text's
 * paragraphs.  pt->ncut and pt->cut_line are the range's. */
nd_status nd_split_range(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t size,
                         size_t from, size_t to, nd_split_mode mode, nd_split_mode *used);

/* The paragraphs of one piece of a text read alone: data holds bytes [at,
 * at + n) of document doc, from a cut point (or its start) to the next (or
 * its end), split in mode (LINE or BLANK, decided over the text:
 * nd_split_detect_prefix); offsets are the document's, lines are numbered
 * from the piece's start (its first line is line 1: the caller adds the
 * lines before it, to pt->cut_line too), and *lines receives the lines of
 * the piece.  The pieces together give exactly the text's paragraphs. */
nd_status nd_split_piece(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t n, uint64_t at,
                         nd_split_mode mode, uint32_t *lines);

/* The auto decision from the first size bytes of a text (whole: all of
 * it): 1 and *mode when they settle it - the decision over any text that
 * starts with them is the same - else 0 (a longer prefix is needed; the
 * whole text always settles it).  Only complete lines of a prefix count. */
int nd_split_detect_prefix(const uint8_t *data, size_t size, int whole, nd_split_mode *mode);

/* A cut point at or after byte at: the start of the first blank line that
 * starts there or later, or size (0 for at 0).  Paragraphs never cross
 * one, in either split mode, and a line's terminator is never cut. */
size_t nd_split_cut(const uint8_t *data, size_t size, size_t at);

/* The decision ND_SPLIT_AUTO makes for this text: ND_SPLIT_BLANK or LINE. */
nd_split_mode nd_split_detect(const uint8_t *data, size_t size);

/* nd_split_detect, also giving the votes (votes[1] join, votes[2] apart;
 * votes[0] the joins without a vote), with its AVX2 line summaries allowed
 * (simd = 1, where the CPU has them) or not: tests compare the two. */
nd_split_mode nd_split_detect_votes(const uint8_t *data, size_t size, int simd, size_t votes[3]);

#endif /* ND_SPLIT_H */
