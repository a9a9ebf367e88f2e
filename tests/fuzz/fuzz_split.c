/*
 * fuzz_split.c - paragraph segmentation (src/split.c), all modes.
 *
 * Input: a mode byte (auto, line, blank), two bytes of max paragraph length
 * (64 + value, so the cutting of long blocks is exercised), then the text.
 * Checks, for every paragraph: the span is inside the buffer, not empty,
 * starts after the previous one ends (ordered, non-overlapping), does not
 * start or end with a line terminator, is at most max_len bytes, and its
 * line number is 1 + the terminators before it; auto mode's result equals
 * the explicit mode it reports; and no text is lost: every byte that no
 * paragraph covers is a line terminator or part of a blank line (computed
 * here independently), and a byte inside a non-blank line is covered unless
 * it is a cut line terminator.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "split.h"

#define MAX_TEXT (1u << 20)

/* Blank as split.c defines it (README "Paragraphs"), written out again. */
static size_t ws_len(const uint8_t *s, size_t n) {
    static const char *const ws[] = {"\xC2\xA0", "\xE3\x80\x80", "\xEF\xBB\xBF", "\xE2\x80\xAF",
                                     "\xE2\x81\x9F"};
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\v' || s[0] == '\f') return 1;
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        size_t l = strlen(ws[k]);
        if (n >= l && memcmp(s, ws[k], l) == 0) return l;
    }
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] <= 0x8B) return 3; /* 2000-200B */
    return 0;
}

static int blank_line(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t l = ws_len(s + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

static void check(const uint8_t *s, size_t n, const nd_paratab *pt, uint32_t max_len) {
    /* cover[i]: 0 = not covered, 1 = inside a paragraph */
    uint8_t *cover = calloc(n ? n : 1, 1);
    FUZZ_CHECK(cover != NULL, "calloc");
    size_t prev_end = 0, li = 0;
    uint32_t line = 1;
    for (size_t p = 0; p < pt->n; p++) {
        FUZZ_CHECK(pt->doc[p] == 3, "doc id %u", pt->doc[p]);
        uint64_t off = pt->off[p];
        uint32_t len = pt->len[p];
        FUZZ_CHECK(len > 0, "empty paragraph %zu", p);
        FUZZ_CHECK(off <= n && len <= n - off, "paragraph %zu [%llu,+%u) outside %zu bytes", p,
                   (unsigned long long)off, len, n);
        FUZZ_CHECK(p == 0 || off >= prev_end, "paragraph %zu overlaps or goes back", p);
        FUZZ_CHECK(len <= max_len, "paragraph %zu has %u bytes > %u", p, len, max_len);
        FUZZ_CHECK(s[off] != '\n' && s[off + len - 1] != '\n' && s[off + len - 1] != '\r' &&
                       !(s[off] == '\r'),
                   "paragraph %zu starts or ends with a line terminator", p);
        for (; li < off; li++)
            if (s[li] == '\n' || (s[li] == '\r' && !(li + 1 < n && s[li + 1] == '\n'))) line++;
        FUZZ_CHECK(pt->line[p] == line, "paragraph %zu: line %u, expected %u", p, pt->line[p],
                   line);
        memset(cover + off, 1, len);
        prev_end = (size_t)(off + len);
    }
    /* lines, independently */
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n' && s[e] != '\r') e++;
        int blank = blank_line(s + i, e - i);
        for (size_t k = i; k < e; k++) {
            if (blank) continue;
            /* a non-blank line's bytes are all covered */
            FUZZ_CHECK(cover[k], "byte %zu of a non-blank line is in no paragraph", k);
        }
        if (e < n) e += s[e] == '\r' && e + 1 < n && s[e + 1] == '\n' ? 2 : 1;
        i = e;
    }
    free(cover);
}

static void run(const uint8_t *s, size_t n, nd_split_mode mode, uint32_t max_len) {
    nd_paratab pt, pt2;
    memset(&pt, 0, sizeof pt);
    memset(&pt2, 0, sizeof pt2);
    pt.max_len = pt2.max_len = max_len;
    nd_split_mode used = (nd_split_mode)99;
    FUZZ_CHECK(nd_split_document(&pt, 3, s, n, mode, &used) == ND_OK, "split");
    if (mode == ND_SPLIT_AUTO) {
        FUZZ_CHECK(used == ND_SPLIT_LINE || used == ND_SPLIT_BLANK, "auto used %d", (int)used);
        FUZZ_CHECK(used == nd_split_detect(s, n), "detect differs");
        FUZZ_CHECK(nd_split_document(&pt2, 3, s, n, used, NULL) == ND_OK, "split");
        FUZZ_CHECK(pt2.n == pt.n, "auto and explicit mode differ");
        for (size_t p = 0; p < pt.n; p++)
            FUZZ_CHECK(pt.off[p] == pt2.off[p] && pt.len[p] == pt2.len[p] &&
                           pt.line[p] == pt2.line[p],
                       "auto and explicit mode differ at %zu", p);
    } else {
        FUZZ_CHECK(used == mode, "used %d for mode %d", (int)used, (int)mode);
    }
    FUZZ_CHECK((pt.ncut == 0) == (pt.cut_line == 0), "ncut %zu, cut_line %u", pt.ncut, pt.cut_line);
    check(s, n, &pt, max_len);
    nd_paratab_release(&pt);
    nd_paratab_release(&pt2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {data, size};
    nd_split_mode mode = (nd_split_mode)(fuzz_u8(&in) % 3);
    uint32_t max_len = ND_MIN_PARAGRAPH_BYTES + fuzz_u16(&in);
    size_t n = in.n > MAX_TEXT ? MAX_TEXT : in.n;
    /* a copy of exactly n bytes, so ASan sees any read past the end */
    uint8_t *s = malloc(n ? n : 1);
    FUZZ_CHECK(s != NULL, "malloc");
    if (n) memcpy(s, in.p, n);
    run(n ? s : NULL, n, mode, max_len);
    free(s);
    return 0;
}
