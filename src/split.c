/*
 * split.c - cutting a document into paragraphs.
 *
 * Lines end at LF, CRLF or a lone CR; line numbers count every terminator, so
 * they match what an editor shows.  A line is blank when it holds only white
 * space: ASCII space, tab, VT, FF, and the UTF-8 encodings of U+00A0, U+2000
 * to U+200B, U+202F, U+205F, U+3000 and U+FEFF (a BOM line is blank).
 *
 * Modes:
 *   line   every non-blank line is a paragraph.
 *   blank  every maximal run of non-blank lines is a paragraph.
 *   auto   per file, whichever a reader would see: see below.
 *
 * The auto decision.  The two modes differ only inside blocks of two or more
 * lines, so the question is, for each "join" - a line followed by another
 * non-blank line - whether a reader sees one paragraph running on or two
 * paragraphs.  Structure answers it better than widths: hard-wrapped
 * Markdown, reST, manuals and licences mix filled prose with code blocks,
 * tables, lists and headings (a width rule misses them), and blocks of short
 * lines (verse, quotations, addresses, Chinese poems) are one paragraph each
 * although nothing in them is filled.  Every join votes, from the first line
 * of the pair (a) and the second (b), by the first rule that applies:
 *   - a is a comment ('#', '!' or "//" first): no vote;
 *   - a is wider than 160 columns: apart (nobody wraps that wide);
 *   - a or b is indented (starts with a space or a tab): join - hanging
 *     indents of list items, changelog entries and copyright fields, code,
 *     quoted blocks and verse attributions belong to their block;
 *   - a is a record - one ASCII token with no space, a tab after a letter or
 *     digit, or , ; : | = between two letters or digits ("20:Egypt",
 *     "a,b") - or a and b share a record layout (the same non-zero number of
 *     tabs, ';', '|' or ':' other than "://", or of ',' if at least two):
 *     apart;
 *   - a or b is a whole paragraph by itself: it ends a sentence (. ! ? "
 *     or 。！？”」』) and is at least 100 columns wide, or 60 for a
 *     full-width ending (30 CJK characters): apart - one-paragraph-per-line
 *     text has long lines that end sentences, wrapped text has lines that end
 *     mid-sentence, and verse lines that end sentences are short;
 *   - otherwise: join.
 * Blank mode wins when the join votes are at least as many as the apart
 * votes; a file with no vote (no block has two lines, so both modes give the
 * same paragraphs) is reported as line mode.  A text with no blank line at
 * all, or a single block, is line mode without any vote: a hard-wrapped text
 * without blank lines is rare, and its only block would be the whole file.
 * Widths count 1 column for a 1- or 2-byte UTF-8 character and 2 for longer
 * ones (almost all CJK), so Chinese wrapped at 30 characters is 60 columns.
 * Only the first 4096 joins vote, which bounds the work on big files, and
 * the count stops early once 256 joins have voted and 7 in 8 of them agree;
 * on the labelled set below both decide as all joins do.
 *
 * Measured (tests/realtext: 422 texts that Debian packages install -
 * Markdown, reST, licences and copyright files, fortune files with '%' lines
 * made blank (English and Chinese verse and quotations), changelogs, git
 * release notes and other plain-text documents including a Chinese manual,
 * and one-record-per-line data - labelled by hand, not by this rule): this
 * rule agrees with the labels on 419 (99.3%); a width rule (blank when the
 * 95th percentile of inner-line widths is 40..160 and 70% of inner lines
 * are at least 0.6 of it) agreed on 257 (60.9%), taking most Markdown,
 * reST, changelogs and verse for line mode.  The three misses are a Markdown
 * file made mostly of one-word toctree entries, a Markdown file with
 * unwrapped 200-column paragraphs, and a fortune file of "Q:<tab>...",
 * "A:<tab>..." riddles that look like tab-separated records.  The bundled
 * corpus (examples/seeds) and the 100 MB bench corpus stay line mode
 * throughout.
 *
 * Speed.  Line ends are found with memchr when the text has no CR; a
 * non-blank line is recognised from its first byte.  The auto decision first
 * checks, without looking inside lines, whether there is a second block at
 * all (most one-paragraph-per-line files have no blank line: then it is line
 * mode at once).  Otherwise a line is summarised (width, indentation,
 * separators, sentence end) only when it is part of a join, once.  With AVX2
 * (checked at run time) that is 32 bytes at a time: width, space and
 * non-ASCII flags and the separator counts come from compare masks and
 * popcounts, the last chunk is the 32 bytes that end the line (so short lines
 * need no byte loop), and only colons ("://") and, until one is found,
 * separators that may be inside a token are looked at one by one; without
 * AVX2 it is a byte loop that branches only on the six separator bytes (the
 * two gave the same summaries on 20 million random lines).  The votes stop
 * once one side has more than half of the 4096, which cannot change the
 * outcome, or has 7 in 8 of at least 256 (the wrapped bench corpus: split
 * 0.16 -> 0.09 s, bench medians; every labelled file decides as before).
 * Nothing is allocated.  Measured, the decision alone (instructions
 * by callgrind; time best of 7 on a shared 2-core VM): wrapped English bench
 * corpus (100 MB, 1764 files, all blank mode) 0.96 G instructions, 0.10 s,
 * against 2.91 G and 0.24 s for the byte loop; the 21 MB labelled set 0.12 G,
 * 16 ms (byte loop 0.29 G, 27 ms); the Chinese and the one-paragraph-per-line
 * English bench corpora take the cheap path (52 M and 113 M, 13 and 21 ms).
 * The whole split of the wrapped corpus (decision, then blank-mode
 * paragraphs) is 1.20 G instructions, 0.14 s.  Line numbers inside a piece
 * are only counted when another piece follows.
 *
 * Pieces of one text (nd_split_cut, nd_split_range; neardup-mpi cuts one
 * large file across its ranks).  A cut point is the start of a blank line:
 * no paragraph crosses one in either mode (a block ends before it, a line
 * mode paragraph is one non-blank line), and no line terminator, CRLF
 * included, is cut.  Splitting the bytes between two cut points, with the
 * mode decided over the whole text and the line counter started at the
 * number of line ends before the range, therefore gives exactly the
 * paragraphs of the whole text that lie there (tests/test_split.c checks
 * it on random LF, CRLF and CR texts in every mode).  A piece can also be
 * split read alone (nd_split_piece: its bytes only, lines numbered from its
 * start, the caller adding the lines of the pieces before it), in a mode
 * decided from the text's first bytes: nd_split_detect_prefix runs the
 * decision on the complete lines of a prefix and says whether it stopped
 * on its votes - then every longer text with that prefix, the whole one
 * too, decides the same - or ran out of text (no second block yet, or too
 * few votes), when a longer prefix is needed (tests/test_split.c checks
 * both on random texts).
 *
 * Offsets and lengths are in bytes of the document; a paragraph's span runs
 * from the first byte of its first line to the last byte before its last line
 * terminator, so `clean` can cut it out exactly.
 */
#include "split.h"

#include <limits.h>
#include <string.h>

#include "nd_internal.h"

void nd_paratab_release(nd_paratab *pt) {
    free(pt->doc);
    free(pt->off);
    free(pt->len);
    free(pt->line);
    memset(pt, 0, sizeof *pt);
}

nd_status nd_paratab_reserve(nd_paratab *pt, size_t need) {
    if (need <= pt->cap) return ND_OK;
    size_t cap = pt->cap;
    ND_TRY(ND_GROW(pt->doc, cap, need));
    cap = pt->cap;
    ND_TRY(ND_GROW(pt->off, cap, need));
    cap = pt->cap;
    ND_TRY(ND_GROW(pt->len, cap, need));
    cap = pt->cap;
    ND_TRY(ND_GROW(pt->line, cap, need));
    pt->cap = cap;
    return ND_OK;
}

/* One line: [start, end) without its terminator; next = start of the next. */
typedef struct line_it {
    const uint8_t *d;
    size_t size, pos;
    uint32_t lineno; /* 1-based number of the line last returned */
    int cr;          /* 0: the text has no CR, lines end at LF only */
} line_it;

/* Performance: most texts have no CR at all; for them one memchr per
 * document proves it and every line end is found with memchr (SIMD in
 * glibc) instead of a byte loop testing two characters. */
static line_it line_start(const uint8_t *data, size_t size) {
    line_it it = {.d = data, .size = size};
    it.cr = size > 0 && memchr(data, '\r', size) != NULL;
    return it;
}

static int line_next(line_it *it, size_t *start, size_t *end) {
    if (it->pos >= it->size) return 0;
    size_t i = it->pos;
    const uint8_t *d = it->d;
    if (!it->cr) {
        const uint8_t *nl = memchr(d + i, '\n', it->size - i);
        i = nl ? (size_t)(nl - d) : it->size;
    } else {
        while (i < it->size && d[i] != '\n' && d[i] != '\r') i++;
    }
    *start = it->pos;
    *end = i;
    if (i < it->size) {
        if (d[i] == '\r' && i + 1 < it->size && d[i + 1] == '\n') i++;
        i++;
    }
    it->pos = i;
    it->lineno++;
    return 1;
}

static int is_blank(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
            i++;
        } else if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) {
            i += 2;
        } else if (c == 0xE3 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0x80) {
            i += 3;
        } else if (c == 0xEF && i + 2 < n && s[i + 1] == 0xBB && s[i + 2] == 0xBF) {
            i += 3;
        } else if (c == 0xE2 && i + 2 < n &&
                   ((s[i + 1] == 0x80 && (s[i + 2] <= 0x8B || s[i + 2] == 0xAF)) ||
                    (s[i + 1] == 0x81 && s[i + 2] == 0x9F))) {
            i += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

/* What the auto decision needs to know about one line (see the essay). */
typedef struct line_sum {
    unsigned width;   /* display columns up to the last non-space byte */
    unsigned nsep[5]; /* tab, ';', '|', ':' (not in "://"), ',' after the indentation */
    uint8_t indented; /* starts with a space or a tab */
    uint8_t comment;  /* first non-space byte '#' or '!', or "//" */
    uint8_t record;   /* one ASCII token, or a field separator inside a token */
    uint8_t end;      /* 0: no sentence end; 1: ASCII . ! ? "; 2: CJK 。！？”」』 */
} line_sum;

enum { SEP_TAB, SEP_SEMI, SEP_BAR, SEP_COLON, SEP_COMMA };

static int is_alnum(uint8_t c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The full-width sentence ends in UTF-8: 。(E3 80 82) ！(EF BC 81) ？(EF BC 9F)
 * ”(E2 80 9D) 」(E3 80 8D) 』(E3 80 8F). */
static int cjk_end(const uint8_t *s, size_t n) {
    if (n < 3) return 0;
    uint8_t a = s[n - 3], b = s[n - 2], c = s[n - 1];
    return (a == 0xE3 && b == 0x80 && (c == 0x82 || c == 0x8D || c == 0x8F)) ||
           (a == 0xEF && b == 0xBC && (c == 0x81 || c == 0x9F)) ||
           (a == 0xE2 && b == 0x80 && c == 0x9D);
}

/* The bytes line_summary has to look at one by one; all others only add
 * to the width. */
static const uint8_t summary_byte[256] = {
    ['\t'] = 1, [';'] = 1, ['|'] = 1, [','] = 1, [':'] = 1, ['='] = 1,
};

/* Whether separator byte s[i] (one of summary_byte) of the line's trimmed
 * bytes [b, e) makes the line a record: a tab after a letter or digit, any
 * other between two of them ("a:b", "1,2"). */
static inline int sep_inside(const uint8_t *s, size_t b, size_t e, size_t i) {
    if (s[i] == '\t') return i > b && is_alnum(s[i - 1]);
    return i > b && i + 1 < e && is_alnum(s[i - 1]) && is_alnum(s[i + 1]);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ND_SPLIT_AVX2 1
#include <immintrin.h>

/* The bytes [b, e) of a line, 32 at a time: width,
 * non-ASCII (>= E3) and space flags, and the separator counts, from compare
 * masks and popcounts; only colons (for "://") and, until one is found, the
 * separators that may be inside a token are looked at one by one - the same
 * results as the scalar loop.  The last chunk is the 32 bytes that end at
 * e, with the ones before the line's or already seen masked off: the caller
 * makes sure that they are readable (b + 32 <= e, or the document has them
 * before s). */
__attribute__((target("avx2,popcnt"))) static void summary_avx2(const uint8_t *s, size_t b,
                                                                size_t e, line_sum *ls,
                                                                size_t *width, unsigned *spaces,
                                                                unsigned *high, unsigned *field) {
    const __m256i lead = _mm256_set1_epi8(-65); /* > -65 signed: not 80..BF */
    const __m256i e0 = _mm256_set1_epi8((char)0xE0), e3 = _mm256_set1_epi8((char)0xE3);
    const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
    const __m256i semi = _mm256_set1_epi8(';'), bar = _mm256_set1_epi8('|');
    const __m256i comma = _mm256_set1_epi8(','), colon = _mm256_set1_epi8(':');
    const __m256i eq = _mm256_set1_epi8('=');
    size_t w = 0;
    unsigned any_sp = 0, any_high = 0;
    for (size_t i = b; i < e; i += 32) {
        const uint8_t *p = s + i; /* the chunk: p[0..31]; p[k] is at s + i + k - sh */
        size_t sh = 0;
        uint32_t m = 0xFFFFFFFFu;
        if (e - i < 32) { /* the tail: the 32 bytes ending at e, new ones only */
            sh = 32 - (e - i);
            p = s + e - 32;
            m <<= sh;
        }
        const size_t at = i - sh; /* may wrap around: only at + k >= i is used */
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
        uint32_t nc = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(v, lead));
        uint32_t ge0 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(v, e0), v));
        uint32_t ge3 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(v, e3), v));
        uint32_t isp = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, sp));
        uint32_t mtab = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, tab)) & m;
        uint32_t msemi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, semi)) & m;
        uint32_t mbar = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, bar)) & m;
        uint32_t mcomma = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, comma)) & m;
        uint32_t mcolon = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, colon)) & m;
        uint32_t meq = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, eq)) & m;
        w += (size_t)_mm_popcnt_u32(nc & m) + (size_t)_mm_popcnt_u32(ge0 & m);
        any_high |= ge3 & m;
        any_sp |= isp & m;
        ls->nsep[SEP_TAB] += (unsigned)_mm_popcnt_u32(mtab);
        ls->nsep[SEP_SEMI] += (unsigned)_mm_popcnt_u32(msemi);
        ls->nsep[SEP_BAR] += (unsigned)_mm_popcnt_u32(mbar);
        ls->nsep[SEP_COMMA] += (unsigned)_mm_popcnt_u32(mcomma);
        ls->nsep[SEP_COLON] += (unsigned)_mm_popcnt_u32(mcolon);
        for (uint32_t c = mcolon; c; c &= c - 1) { /* "://" is not a separator */
            size_t j = at + (size_t)__builtin_ctz(c);
            ls->nsep[SEP_COLON] -= j + 1 < e && s[j + 1] == '/';
        }
        /* field is sticky: once set, the separators need no more look */
        for (uint32_t f = *field ? 0 : mtab | msemi | mbar | mcomma | mcolon | meq; f; f &= f - 1) {
            if (sep_inside(s, b, e, at + (size_t)__builtin_ctz(f))) {
                *field = 1;
                break;
            }
        }
    }
    *width = w;
    *spaces = any_sp != 0;
    *high = any_high != 0;
}
#endif

/* One pass over the line's bytes; nothing is allocated.  Performance: the
 * width, the space and the CJK tests are branch-free; only the six bytes of
 * summary_byte take a branch.  With AVX2 (avx2 != 0, checked at run time by
 * the caller) the line goes through summary_avx2 when the 32 bytes that end
 * at its last one are in the document (`before` bytes of it precede s). */
static void line_summary(const uint8_t *s, size_t n, size_t before, line_sum *ls, int avx2) {
    memset(ls, 0, sizeof *ls);
    size_t b = 0, e = n;
    while (b < e && (s[b] == ' ' || s[b] == '\t')) b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\v' || s[e - 1] == '\f'))
        e--;
    ls->indented = b > 0;
    if (b == e) return;
    ls->comment = s[b] == '#' || s[b] == '!' || (s[b] == '/' && b + 1 < e && s[b + 1] == '/');
    size_t w = 0; /* a 64-bit sum: no wrap-around even on a 4 GB line */
    unsigned spaces = 0, high = 0, field = 0;
#ifdef ND_SPLIT_AVX2
    if (avx2 && before + e >= 32) {
        summary_avx2(s, b, e, ls, &w, &spaces, &high, &field);
    } else
#endif
    {
        (void)avx2;
        for (size_t i = b; i < e; i++) {
            uint8_t c = s[i];
            w += (size_t)((c & 0xC0) != 0x80) + (size_t)(c >= 0xE0);
            high |= c >= 0xE3;
            spaces |= c == ' ';
            if (!summary_byte[c]) continue;
            switch (c) {
            case '\t': ls->nsep[SEP_TAB]++; break;
            case ';': ls->nsep[SEP_SEMI]++; break;
            case '|': ls->nsep[SEP_BAR]++; break;
            case ',': ls->nsep[SEP_COMMA]++; break;
            case ':': ls->nsep[SEP_COLON] += !(i + 1 < e && s[i + 1] == '/'); break;
            default: break; /* '=' */
            }
            field |= sep_inside(s, b, e, i);
        }
    }
    ls->width = w < UINT_MAX ? (unsigned)w : UINT_MAX;
    ls->record = field || (!spaces && !high);
    uint8_t last = s[e - 1];
    if (cjk_end(s + b, e - b))
        ls->end = 2;
    else if (last == '.' || last == '!' || last == '?' || last == '"')
        ls->end = 1;
}

/* Lines of the same record layout: the same number of tabs, ';', '|' or
 * ':' (at least one), or of ',' (at least two). */
static int aligned(const line_sum *a, const line_sum *b) {
    for (int k = SEP_TAB; k <= SEP_COLON; k++)
        if (a->nsep[k] && a->nsep[k] == b->nsep[k]) return 1;
    return a->nsep[SEP_COMMA] >= 2 && a->nsep[SEP_COMMA] == b->nsep[SEP_COMMA];
}

/* A line that is a whole paragraph by itself: wider than anyone wraps, or
 * long and ending a sentence. */
static int whole(const line_sum *a) {
    return a->width > 160 || (a->end == 2 && a->width >= 60) || (a->end && a->width >= 100);
}

/* The vote of one join - line a followed by line b in the same block:
 * 0 no vote, 1 join (blank mode is right), 2 keep apart (line mode). */
static int join_vote(const line_sum *a, const line_sum *b) {
    if (a->comment) return 0;
    if (a->width > 160) return 2;             /* wider than any wrap */
    if (a->indented || b->indented) return 1; /* hanging indent, code, verse */
    if (a->record || aligned(a, b)) return 2; /* records and tables */
    if (whole(a) || whole(b)) return 2;       /* a whole paragraph */
    return 1;
}

#define ND_SPLIT_VOTES  4096 /* joins that vote, at most: the first ones */
#define ND_SPLIT_SETTLE 256  /* votes after which a clear majority ends the count */

/* Whether the first votes already decide: at least ND_SPLIT_SETTLE of them
 * and one side with 7 in 8. */
static int split_settled(size_t join, size_t apart) {
    size_t n = join + apart;
    return n >= ND_SPLIT_SETTLE && (join * 8 >= n * 7 || apart * 8 >= n * 7);
}

nd_split_mode nd_split_detect(const uint8_t *data, size_t size) {
    size_t votes[3];
    return nd_split_detect_votes(data, size, 1, votes);
}

/* nd_split_detect_votes; *open set when the text ran out before the
 * decision was made (no second block in it, or the votes not yet decided):
 * a longer text that starts with these bytes may decide otherwise. */
static nd_split_mode detect(const uint8_t *data, size_t size, int simd, size_t votes[3],
                            int *open) {
    votes[0] = votes[1] = votes[2] = 0;
    *open = 1;
    line_it it = line_start(data, size);
    size_t s, e;
    { /* most texts have no second block: find that out without measuring */
        size_t blocks = 0;
        int nb = 0, two = 0;
        while (!two && line_next(&it, &s, &e)) {
            int blank = is_blank(data + s, e - s);
            if (!blank && !nb) two = blocks++ == 1;
            nb = !blank;
        }
        if (!two) return ND_SPLIT_LINE;
        it = line_start(data, size);
    }
    /* Only lines inside multi-line blocks are summarised, each once: the
     * previous line's summary is made when a second line follows it. */
    line_sum prev, cur;
#ifdef ND_SPLIT_AVX2
    const int avx2 = simd && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
    const int avx2 = 0;
    (void)simd;
#endif
    size_t ps = 0, pe = 0;
    int prev_nonblank = 0, prev_done = 0;
    /* Performance: the loop also stops when one side has more than half of
     * the ND_SPLIT_VOTES votes - the rest cannot change the outcome. */
    while (votes[1] + votes[2] < ND_SPLIT_VOTES && votes[1] < ND_SPLIT_VOTES / 2 &&
           votes[2] <= ND_SPLIT_VOTES / 2 && !split_settled(votes[1], votes[2]) &&
           line_next(&it, &s, &e)) {
        if (is_blank(data + s, e - s)) {
            prev_nonblank = 0;
            continue;
        }
        if (prev_nonblank) {
            if (!prev_done) line_summary(data + ps, pe - ps, ps, &prev, avx2);
            line_summary(data + s, e - s, s, &cur, avx2);
            votes[join_vote(&prev, &cur)]++;
            prev = cur;
            prev_done = 1;
        } else {
            prev_done = 0;
        }
        ps = s;
        pe = e;
        prev_nonblank = 1;
    }
    /* the loop stopped on its votes, not at the end of the text */
    *open = it.pos >= it.size && votes[1] + votes[2] < ND_SPLIT_VOTES &&
            votes[1] < ND_SPLIT_VOTES / 2 && votes[2] <= ND_SPLIT_VOTES / 2 &&
            !split_settled(votes[1], votes[2]);
    /* no join at all: both modes give the same paragraphs, report line */
    if (votes[1] + votes[2] == 0) return ND_SPLIT_LINE;
    return votes[1] >= votes[2] ? ND_SPLIT_BLANK : ND_SPLIT_LINE;
}

nd_split_mode nd_split_detect_votes(const uint8_t *data, size_t size, int simd, size_t votes[3]) {
    int open = 0;
    return detect(data, size, simd, votes, &open);
}

int nd_split_detect_prefix(const uint8_t *data, size_t size, int whole, nd_split_mode *mode) {
    size_t votes[3], n = size;
    int open = 0;
    if (!whole) { /* complete lines only: the last one may go on after size */
        while (n > 0 && data[n - 1] != '\n' && data[n - 1] != '\r') n--;
        if (n == 0) return 0;
    }
    *mode = detect(data, n, 1, votes, &open);
    return whole || !open;
}

/* Where to end the piece of a block [start, end) longer than max bytes:
 * *stop is the piece's end, *next where the following piece starts (after
 * the line terminator when the cut is at one).  See split.h. */
static void cut_point(const uint8_t *data, size_t start, size_t end, size_t max, size_t *stop,
                      size_t *next) {
    size_t limit = start + max, low = start + max / 2;
    /* the last line terminator in [low, limit] - low included, so that the
     * space search below, in (low, limit], never cuts right after one */
    for (size_t j = limit; j >= low; j--) {
        if (data[j] == '\n') {
            *stop = data[j - 1] == '\r' ? j - 1 : j;
            *next = j + 1;
            return;
        }
        if (data[j] == '\r') {
            *stop = j;
            *next = j + 1 < end && data[j + 1] == '\n' ? j + 2 : j + 1;
            return;
        }
    }
    for (size_t j = limit; j > low; j--) { /* else the last space or tab */
        if (data[j] == ' ' || data[j] == '\t') {
            *stop = *next = j;
            return;
        }
    }
    size_t j = limit; /* else a character boundary (at most 3 bytes back) */
    for (int k = 0; k < 3 && (data[j] & 0xC0) == 0x80; k++) j--;
    if ((data[j] & 0xC0) == 0x80) j = limit; /* not UTF-8: cut anywhere */
    *stop = *next = j;
}

/* Appends [start, end) as one or more paragraphs starting at line `lineno`,
 * cutting pieces longer than pt->max_len (see split.h). */
static nd_status push_span(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t start,
                           size_t end, uint32_t lineno) {
    size_t max =
        pt->max_len && pt->max_len < ND_MAX_PARAGRAPH_BYTES ? pt->max_len : ND_MAX_PARAGRAPH_BYTES;
    if (end - start > max) {
        if (pt->ncut++ == 0) pt->cut_line = lineno;
    }
    while (start < end) {
        size_t stop = end, next = end;
        if (end - start > max) cut_point(data, start, end, max, &stop, &next);
        ND_TRY(nd_paratab_reserve(pt, pt->n + 1));
        pt->doc[pt->n] = doc;
        pt->off[pt->n] = start;
        pt->len[pt->n] = (uint32_t)(stop - start);
        pt->line[pt->n] = lineno;
        pt->n++;
        if (next >= end) break;                 /* the last piece: its line count is not needed */
        for (size_t i = start; i < next; i++) { /* lines inside the piece */
            if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < end && data[i + 1] == '\n')))
                lineno++;
        }
        start = next;
    }
    return ND_OK;
}

size_t nd_split_cut(const uint8_t *data, size_t size, size_t at) {
    if (at == 0) return 0;
    if (at >= size) return size;
    /* the first line start at or after at: after a LF, or a CR not
     * followed by a LF, at or after byte at - 1 */
    size_t i = at - 1;
    while (i < size && data[i] != '\n' &&
           !(data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
        i++;
    if (i >= size) return size;
    line_it it = line_start(data + i + 1, size - i - 1); /* (cr: of the rest only) */
    it.d = data;
    it.size = size;
    it.pos = i + 1;
    size_t s, e;
    while (line_next(&it, &s, &e))
        if (is_blank(data + s, e - s)) return s;
    return size;
}

static nd_status split_lines(nd_paratab *pt, uint32_t doc, const uint8_t *data, line_it *itp,
                             nd_split_mode mode);

nd_status nd_split_document(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t size,
                            nd_split_mode mode, nd_split_mode *used) {
    return nd_split_range(pt, doc, data, size, 0, size, mode, used);
}

nd_status nd_split_range(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t size,
                         size_t from, size_t to, nd_split_mode mode, nd_split_mode *used) {
    if (mode == ND_SPLIT_AUTO) mode = nd_split_detect(data, size);
    if (used) *used = mode;
    pt->ncut = 0;
    pt->cut_line = 0;
    to = ND_MIN(to, size);
    from = ND_MIN(from, to);
    /* (no offset from an empty text's NULL) */
    line_it it = line_start(from ? data + from : data, to - from);
    it.d = data; /* positions stay the document's */
    it.pos = from;
    it.size = to;
    if (from && !memchr(data, '\r', from)) { /* the lines before the range */
        for (const uint8_t *p = data, *end = data + from; (p = memchr(p, '\n', (size_t)(end - p)));
             p++)
            it.lineno++;
    } else {
        for (size_t i = 0; i < from; i++)
            if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < size && data[i + 1] == '\n')))
                it.lineno++;
    }
    return split_lines(pt, doc, data, &it, mode);
}

nd_status nd_split_piece(nd_paratab *pt, uint32_t doc, const uint8_t *data, size_t n, uint64_t at,
                         nd_split_mode mode, uint32_t *lines) {
    size_t n0 = pt->n;
    pt->ncut = 0;
    pt->cut_line = 0;
    *lines = 0;
    line_it it = line_start(data, n);
    ND_TRY(split_lines(pt, doc, data, &it, mode));
    for (size_t i = n0; i < pt->n; i++) pt->off[i] += at; /* the document's offsets */
    *lines = it.lineno;
    return ND_OK;
}

/* The paragraphs of the lines it gives, in mode (LINE or BLANK), appended
 * to pt (see nd_split_range); it is left at the end of its text. */
static nd_status split_lines(nd_paratab *pt, uint32_t doc, const uint8_t *data, line_it *itp,
                             nd_split_mode mode) {
    line_it it = *itp;
    size_t s, e;
    size_t bstart = 0, bend = 0;
    uint32_t bline = 0;
    int inblock = 0;
    while (line_next(&it, &s, &e)) {
        int blank = is_blank(data + s, e - s);
        if (mode == ND_SPLIT_LINE) {
            if (!blank) ND_TRY(push_span(pt, doc, data, s, e, it.lineno));
            continue;
        }
        if (blank) {
            if (inblock) ND_TRY(push_span(pt, doc, data, bstart, bend, bline));
            inblock = 0;
        } else {
            if (!inblock) {
                bstart = s;
                bline = it.lineno;
                inblock = 1;
            }
            bend = e;
        }
    }
    if (inblock) ND_TRY(push_span(pt, doc, data, bstart, bend, bline));
    *itp = it;
    return ND_OK;
}
