/*
 * index.h - what index.c shares with its writer (write_index.c): the
 * query result's layout (private).
 */
#ifndef ND_INDEX_H
#define ND_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* A query document. */
typedef struct nd_qdoc {
    char *path;     /* owned */
    char *encoding; /* owned */
    uint64_t bytes, paragraphs, chars, matched_chars;
    uint64_t comparable; /* chars of paragraphs with at least min_chars */
} nd_qdoc;

/* An indexed document that holds a match. */
typedef struct nd_qtarget {
    int64_t id; /* its row id in the index (docs.id) */
    char *path; /* owned */
    uint64_t bytes, paragraphs, chars;
    uint64_t comparable; /* docs.comparable */
} nd_qtarget;

struct nd_query {
    double threshold;
    nd_qdoc *docs;
    size_t ndocs, docs_cap;
    nd_query_paragraph_info *paras;
    size_t nparas, paras_cap;
    nd_qtarget *targets;
    size_t ntargets;
    nd_query_match_info *matches;
    size_t nmatches, matches_cap;
    nd_query_overlap_info *overlaps;
    size_t noverlaps;
    char *arena; /* the texts of matches and their paragraphs */
    size_t arena_n, arena_cap;
    uint64_t *ptext; /* per paragraph: arena offset, length (0, 0:
                                  none) */
    size_t ptext_cap;
};

#endif /* ND_INDEX_H */
