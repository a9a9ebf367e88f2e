/*
 * bench.c - end-to-end benchmark of a scan on a generated corpus.
 *
 *   bench [--corpus DIR | --size-mb M [--seed S] [--lang zh|en]
 *         [--layout wrapped|lines] [--passages RATE] [--work DIR]] [--runs N]
 *         [--threads N] [--threshold T] [--max-gap N] [--memory BYTES] [--tmpdir DIR]
 *         [--no-floor] [--show N]
 *
 * The corpus is a gen_corpus output directory (DIR/docs, DIR/truth.tsv);
 * with --size-mb it is generated first into --work (default
 * /tmp/nd-bench-<M>-<S> for Chinese, /tmp/nd-bench-en-<layout>-<M>-<S> for
 * English) unless it is already there.  Each run scans DIR/docs through the
 * library with default options (plus --threads, --threshold, --memory,
 * --tmpdir) and renders the report as JSONL into a null sink, like
 * `neardup scan --format jsonl -o /dev/null`.  Per stage it prints the median
 * over the runs of the wall time (from nd_report_timings; "report" includes
 * the writer), the throughput over the input bytes and the peak anonymous
 * memory (RssAnon: the mapped input files' page cache is not counted)
 * sampled every 2 ms by a helper thread and attributed to the stage in
 * progress (known from the progress callback).  glibc's mmap threshold is
 * pinned at its default (mallopt), as in a new process: freeing the first
 * run's large arrays would otherwise raise it, later runs would take their
 * big calloc()s from the heap, where they are cleared page by page and so
 * resident at once, and their peaks would read ~12% higher than what one
 * `neardup scan` process uses (193 instead of 172 B/paragraph at 1 GB).  Then the total, the peak per
 * paragraph, the recall on the planted pairs - every pair of truth.tsv whose
 * exact Jaccard (nd_sketcher_jaccard, the library's own normalisation) is at
 * least the threshold counts, and it is found when both paragraphs are in
 * one cluster; the same per kind (truth.tsv's kind column, one line each),
 * with a histogram of the exact Jaccard of the planted pairs - then the
 * number of LSH candidate pairs and of verified pairs, and the floor: the
 * median time of `xxhsum -H3` over the same files (page cache warm), with
 * the ratio scan / floor.
 *
 * Passages.  When the corpus has DIR/passages.tsv (gen_corpus --passages;
 * bench --size-mb M --passages RATE generates one, into a work directory
 * named with "-pRATE"), the same number of runs is made again with
 * nd_options.passages on, and the first run's passage records are judged:
 *   - recall: a planted passage (a row: doc A span, doc B span, in bytes) is
 *     found when ONE record has a place in A and another place in B that
 *     cover at least 90% of the span's normalised characters each (the
 *     characters nd_sketcher_normalize leaves in the overlap of place and
 *     span, over those of the span); overall, per kind, per mutation and per
 *     kind/mutation; the first 10 (--show N) misses are listed with the best record
 *     found (its coverage of either side), to diagnose them;
 *   - precision: a record (common text left out) is right when the text of
 *     every place (nd_report_passage_text) has an exact token-shingle
 *     Jaccard (nd_sketcher_jaccard: the scan's normalisation and shingles)
 *     of at least 0.8 with the text of its FIRST place - so a record whose
 *     places are different extents of a copy counts as wrong, as would a
 *     wrong place; also shown for 2-place and 3+-place records apart and
 *     for records that matched a planted passage; the first 10 wrong ones
 *     are listed with both texts' beginnings;
 *   - speed: the median total (read to JSONL writer) against the plain
 *     scans' median total.
 * The corpus's ordinary near-copies (truth.tsv, edits of 1-5% of the
 * characters) also give passage records, and their places are edited
 * copies whose token-shingle Jaccard is often below 0.8: they count in
 * precision like any other record.
 *
 * Timing numbers are printed, never checked: a benchmark is not a test.
 * The ctest "bench_smoke" runs it on a 2 MB corpus and only requires that it
 * completes and that recall is printed; "bench_smoke_en_wrapped" and
 * "bench_smoke_en_lines" do the same on 2 MB English corpora (gen_corpus
 * --lang en) and require a per-kind recall line.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h> /* mallopt */
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "neardup.h"

#ifndef ND_GEN_CORPUS
#define ND_GEN_CORPUS "gen_corpus"
#endif

#define MAX_RUNS 99

typedef struct bench_cfg {
    const char *corpus;
    unsigned size_mb;
    unsigned long long seed;
    const char *work;
    const char *lang;   /* gen_corpus --lang, NULL = its default (zh) */
    const char *layout; /* gen_corpus --layout, NULL = its default */
    double threshold;   /* 0 = the library's default */
    long max_gap;       /* passages' nd_options.max_gap; -1 = the default */
    unsigned runs;
    unsigned threads;
    unsigned long long memory;
    const char *tmpdir;
    int floor;
    double passages; /* gen_corpus --passages, 0 = not given */
} bench_cfg;

/* --- memory sampler -------------------------------------------------------- */

typedef struct sampler {
    pthread_t tid;
    atomic_int stop;
    atomic_int stage;
    atomic_ullong peak[ND_STAGE_COUNT_ + 1]; /* last slot: writer */
} sampler;

static unsigned long long rss_anon(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "RssAnon:", 8) == 0) {
            kb = strtoull(line + 8, NULL, 10);
            break;
        }
    fclose(f);
    return kb * 1024;
}

static void sample_once(sampler *s) {
    unsigned long long v = rss_anon();
    int st = atomic_load(&s->stage);
    unsigned long long old = atomic_load(&s->peak[st]);
    while (v > old && !atomic_compare_exchange_weak(&s->peak[st], &old, v)) {}
}

static void *sampler_main(void *arg) {
    sampler *s = arg;
    struct timespec ts = {0, 2000000};
    while (!atomic_load(&s->stop)) {
        sample_once(s);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void on_progress(void *user, const nd_progress *p) {
    sampler *s = user;
    sample_once(s);
    atomic_store(&s->stage, (int)p->stage);
}

static int null_sink(void *user, const void *buf, size_t len) {
    (void)buf;
    *(unsigned long long *)user += len;
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_ull(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* --- recall ----------------------------------------------------------------- */

typedef struct para_key {
    size_t doc;
    unsigned line;
    size_t para;
} para_key;

static int cmp_key(const void *a, const void *b) {
    const para_key *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

typedef struct doc_name {
    const char *rel; /* "docs/NNNNNN.txt" inside the document path */
    size_t doc;
} doc_name;

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const doc_name *)a)->rel, ((const doc_name *)b)->rel);
}

static long find_para(const para_key *keys, size_t nk, const doc_name *names, size_t nn,
                      const char *rel, unsigned line) {
    doc_name probe = {.rel = rel};
    const doc_name *d = bsearch(&probe, names, nn, sizeof *names, cmp_name);
    if (!d) return -1;
    para_key k = {.doc = d->doc, .line = line};
    const para_key *p = bsearch(&k, keys, nk, sizeof *keys, cmp_key);
    return p ? (long)p->para : -1;
}

/* names[0..nd-1]: each document's path from its last "docs/" on (as the
 * truth files write them), sorted for bsearch with cmp_name. */
static void name_documents(const nd_report *r, doc_name *names, size_t nd) {
    for (size_t i = 0; i < nd; i++) {
        nd_document_info di;
        nd_report_document(r, i, &di);
        const char *rel = strstr(di.path, "docs/");
        const char *last = rel;
        while (last && (last = strstr(last + 1, "docs/"))) rel = last;
        names[i] = (doc_name){.rel = rel ? rel : di.path, .doc = i};
    }
    qsort(names, nd, sizeof *names, cmp_name);
}

/* Recall counts, overall or of one kind of planted pair. */
typedef struct recall_t {
    char kind[128];
    size_t rows;                /* rows of truth.tsv found in the report */
    size_t want, found;         /* exact J >= t, both paragraphs >= min_chars */
    size_t want_est, found_est; /* jaccard_estimate >= t */
    size_t hist[7];             /* exact J: < .5, .5-.6, .6-.7, .7-.8, .8-.9, .9-1, 1 */
    size_t est_off;             /* |jaccard_estimate - J| > 0.0001 */
    size_t missed[3];           /* missed pairs by J: [t, t+.05), [t+.05, t+.1), >= t+.1 */
} recall_t;

/* A list of recall_t by name. */
typedef struct recall_list {
    recall_t *v; /* sorted by name after recall() */
    size_t n, cap;
} recall_list;

typedef struct recall_set {
    recall_t all;
    recall_list kind;  /* by truth.tsv kind */
    recall_list group; /* by kind_group() */
    size_t unmatched;  /* rows whose paragraphs are not in the report */
} recall_set;

static int cmp_kind(const void *a, const void *b) {
    return strcmp(((const recall_t *)a)->kind, ((const recall_t *)b)->kind);
}

static recall_t *kind_slot(recall_list *l, const char *kind) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].kind, kind) == 0) return &l->v[i];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        recall_t *p = realloc(l->v, cap * sizeof *p);
        if (!p) return NULL;
        l->v = p;
        l->cap = cap;
    }
    recall_t *k = &l->v[l->n++];
    memset(k, 0, sizeof *k);
    snprintf(k->kind, sizeof k->kind, "%s", kind);
    return k;
}

static void count_pair(recall_t *k, double j, double est, double t, int big, int same) {
    k->rows++;
    if (big) {
        k->hist[j < 0.5   ? 0
                : j < 0.6 ? 1
                : j < 0.7 ? 2
                : j < 0.8 ? 3
                : j < 0.9 ? 4
                : j < 1.0 ? 5
                          : 6]++;
        if (j >= t) {
            k->want++;
            k->found += same;
            if (!same) k->missed[j < t + 0.05 ? 0 : j < t + 0.1 ? 1 : 2]++;
        }
    }
    if (est >= t) {
        k->want_est++;
        k->found_est += same;
    }
    if (est - j > 0.0001 || j - est > 0.0001) k->est_off++;
}

/* One line per entry: "recall kind NAME exact J >= t: found / want = r (rows)". */
static void print_recall_list(const char *what, const recall_list *l, double t) {
    int width = 22 - (int)strlen(what); /* names start in one column */
    for (size_t i = 0; i < l->n; i++) {
        const recall_t *k = &l->v[i];
        printf("recall %s %-*s exact J >= %g: %zu / %zu = %.4f (%zu rows)\n", what, width, k->kind,
               t, k->found, k->want, k->want ? (double)k->found / (double)k->want : 1.0, k->rows);
    }
}

/* The group of a truth.tsv kind, as the issue tracker counts them: a kind
 * with two or more mutations ("edit,s2t", and gen_corpus --lang en's
 * "multi") is "several"; every other kind is its own group ("exact",
 * "edit", "s2t", "case", ...).  Combinations of the Chinese mutations make
 * 24 kinds, many with a few dozen pairs, where one miss is already 1-2%;
 * the groups have hundreds to thousands. */
static const char *kind_group(const char *kind) {
    return strchr(kind, ',') || strcmp(kind, "multi") == 0 ? "several" : kind;
}

/* Recall of planted pairs with exact J >= t, overall and per kind, into
 * *rs (whose kind array the caller frees); -1 if truth.tsv is missing. */
static int recall(const nd_report *r, const char *truth, const nd_options *opt, recall_set *rs) {
    int rc = -1;
    FILE *f = fopen(truth, "r");
    size_t nd = nd_report_document_count(r), np = nd_report_paragraph_count(r);
    para_key *keys = calloc(np ? np : 1, sizeof *keys);
    doc_name *names = calloc(nd ? nd : 1, sizeof *names);
    nd_sketcher *sk = NULL;
    char line[8192];
    double t = opt->threshold;
    if (!f || !keys || !names || nd_sketcher_new(opt, &sk) != ND_OK) goto out;
    name_documents(r, names, nd);
    for (size_t i = 0; i < np; i++) {
        nd_paragraph_info pi;
        nd_report_paragraph(r, i, &pi);
        keys[i] = (para_key){.doc = pi.doc, .line = pi.line, .para = i};
    }
    qsort(keys, np, sizeof *keys, cmp_key);
    if (!fgets(line, sizeof line, f)) goto out; /* header */
    while (fgets(line, sizeof line, f)) {
        char da[256], db[256], kind[128];
        unsigned la, lb;
        double est;
        if (sscanf(line, "%255s %u %255s %u %127s %lf", da, &la, db, &lb, kind, &est) != 6)
            continue;
        long a = find_para(keys, np, names, nd, da, la);
        long b = find_para(keys, np, names, nd, db, lb);
        if (a < 0 || b < 0) {
            rs->unmatched++;
            continue;
        }
        nd_paragraph_info pa, pb;
        const char *ta, *tb;
        size_t la2, lb2;
        double j = 0;
        nd_report_paragraph(r, (size_t)a, &pa);
        nd_report_paragraph(r, (size_t)b, &pb);
        nd_report_paragraph_text(r, (size_t)a, &ta, &la2);
        nd_report_paragraph_text(r, (size_t)b, &tb, &lb2);
        if (nd_sketcher_jaccard(sk, ta, la2, tb, lb2, &j) != ND_OK) goto out;
        int same = pa.cluster >= 0 && pa.cluster == pb.cluster;
        int big = pa.chars >= opt->min_chars && pb.chars >= opt->min_chars;
        recall_t *k = kind_slot(&rs->kind, kind);
        if (!k) goto out;
        count_pair(k, j, est, t, big, same);
        if (!(k = kind_slot(&rs->group, kind_group(kind)))) goto out;
        count_pair(k, j, est, t, big, same);
        count_pair(&rs->all, j, est, t, big, same);
    }
    if (rs->kind.n) qsort(rs->kind.v, rs->kind.n, sizeof *rs->kind.v, cmp_kind);
    if (rs->group.n) qsort(rs->group.v, rs->group.n, sizeof *rs->group.v, cmp_kind);
    rc = 0;
out:
    if (f) fclose(f);
    free(keys);
    free(names);
    nd_sketcher_free(sk);
    return rc;
}

/* --- passages ---------------------------------------------------------------- */

/* Found / wanted planted passages, or right / judged records, under a name. */
/* Planted passages wanted and found, per kind, mutation or both: the
 * recall lists' slots (kind_slot), of which only want and found are used. */
static void print_pcounts(const char *what, recall_list *l) {
    if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_kind);
    for (size_t i = 0; i < l->n; i++)
        printf("passage recall %-9s %-16s: %zu / %zu = %.4f\n", what, l->v[i].kind, l->v[i].found,
               l->v[i].want, l->v[i].want ? (double)l->v[i].found / (double)l->v[i].want : 1.0);
}

/* A place of a record, for finding the records at a span of a document. */
typedef struct pplace {
    size_t doc;
    uint64_t off, len;
    size_t rec, j;
} pplace;

static int cmp_pplace(const void *a, const void *b) {
    const pplace *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* The bytes of a document file, a few kept (rows come grouped by document). */
typedef struct doc_cache {
    size_t doc[4];
    char *text[4];
    size_t len[4];
    unsigned next;
} doc_cache;

/* doc's bytes; a slot holding doc `keep` is not reused, so its pointer stays valid. */
static const char *cache_get(doc_cache *c, const nd_report *r, size_t doc, size_t keep,
                             size_t *len) {
    for (unsigned i = 0; i < 4; i++)
        if (c->text[i] && c->doc[i] == doc) {
            *len = c->len[i];
            return c->text[i];
        }
    nd_document_info di;
    if (nd_report_document(r, doc, &di) != ND_OK) return NULL;
    FILE *f = fopen(di.path, "rb");
    if (!f) return NULL;
    char *t = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (t = malloc((size_t)n + 1)) != NULL && fread(t, 1, (size_t)n, f) != (size_t)n) {
        free(t);
        t = NULL;
    }
    fclose(f);
    if (!t) return NULL;
    unsigned s = c->next++ % 4;
    if (c->text[s] && c->doc[s] == keep) s = c->next++ % 4;
    free(c->text[s]);
    c->doc[s] = doc;
    c->text[s] = t;
    c->len[s] = (size_t)n;
    *len = (size_t)n;
    return t;
}

/* Normalised characters of t[0..n-1] (the library's normalisation). */
static long norm_chars(nd_sketcher *sk, const char *t, size_t n) {
    char *o = NULL;
    size_t ol = 0;
    long k = 0;
    if (n == 0) return 0;
    if (nd_sketcher_normalize(sk, t, n, &o, &ol) != ND_OK) return -1;
    for (size_t i = 0; i < ol; i++) k += ((unsigned char)o[i] & 0xC0) != 0x80;
    free(o);
    return k;
}

/* Share of the normalised characters of doc's span [so, so + sl) inside the
 * place [po, po + pl); the span's own count is sc. */
static double coverage(nd_sketcher *sk, const char *t, size_t tl, uint64_t so, uint64_t sl, long sc,
                       uint64_t po, uint64_t pl) {
    uint64_t lo = so > po ? so : po, hi = so + sl < po + pl ? so + sl : po + pl;
    if (hi <= lo || hi > tl || sc <= 0) return 0.0;
    long k = norm_chars(sk, t + lo, (size_t)(hi - lo));
    return k > 0 ? (double)k / (double)sc : 0.0;
}

static void preview(const char *t, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)t[i];
        if (o + 8 >= cap && (c & 0xC0) != 0x80) break; /* whole characters only */
        out[o++] = c == '\n' || c == '\t' ? ' ' : (char)c;
    }
    out[o] = '\0';
}

#define P_COVER   0.9      /* a planted passage is found when this share of each side is covered */
#define P_JACCARD 0.8      /* a record is right when every place has this J with the first */
static size_t p_show = 10; /* misses and wrong records listed (--show) */

/* Recall of passages.tsv's planted passages and precision of the report's
 * passage records (see the top).  Prints its lines; -1 on an error. */
static int passage_eval(const nd_report *r, const char *ptruth, const nd_options *opt) {
    int rc = -1;
    FILE *f = fopen(ptruth, "r");
    size_t nd = nd_report_document_count(r), nrec = nd_report_passage_count(r), npl = 0;
    doc_name *names = calloc(nd ? nd : 1, sizeof *names);
    pplace *pl = NULL;
    unsigned char *matched = calloc(nrec ? nrec : 1, 1); /* records matching a planted one */
    nd_sketcher *sk = NULL;
    doc_cache dc;
    recall_list kinds = {0}, muts = {0}, both = {0};
    size_t want = 0, found = 0, shown = 0, bad_rows = 0;
    char line[8192];
    memset(&dc, 0, sizeof dc);
    if (!f || !names || !matched || nd_sketcher_new(opt, &sk) != ND_OK) goto out;
    name_documents(r, names, nd);
    for (size_t i = 0; i < nrec; i++) {
        nd_passage_record_info ri;
        if (nd_report_passage(r, i, &ri) != ND_OK) goto out;
        npl += ri.places;
    }
    if (!(pl = calloc(npl ? npl : 1, sizeof *pl))) goto out;
    npl = 0;
    for (size_t i = 0; i < nrec; i++) {
        nd_passage_record_info ri;
        nd_report_passage(r, i, &ri);
        for (size_t j = 0; j < ri.places; j++) {
            nd_passage_place pp;
            if (nd_report_passage_place(r, i, j, &pp) != ND_OK) goto out;
            pl[npl++] =
                (pplace){.doc = pp.doc, .off = pp.offset, .len = pp.length, .rec = i, .j = j};
        }
    }
    qsort(pl, npl, sizeof *pl, cmp_pplace);

    if (!fgets(line, sizeof line, f)) goto out; /* header */
    while (fgets(line, sizeof line, f)) {
        char kind[16], mut[16], da[256], db[256], km[40];
        unsigned long long oa, la, ob, lb;
        if (sscanf(line, "%15s %15s %255s %llu %llu %255s %llu %llu", kind, mut, da, &oa, &la, db,
                   &ob, &lb) != 8)
            continue;
        doc_name pa = {.rel = da}, pb = {.rel = db};
        const doc_name *na = bsearch(&pa, names, nd, sizeof *names, cmp_name);
        const doc_name *nb = bsearch(&pb, names, nd, sizeof *names, cmp_name);
        if (!na || !nb) {
            bad_rows++;
            continue;
        }
        size_t ta_len, tb_len;
        const char *ta = cache_get(&dc, r, na->doc, SIZE_MAX, &ta_len);
        const char *tb = ta ? cache_get(&dc, r, nb->doc, na->doc, &tb_len) : NULL;
        if (!ta || !tb || oa + la > ta_len || ob + lb > tb_len) {
            bad_rows++;
            continue;
        }
        long ca_n = norm_chars(sk, ta + oa, la), cb_n = norm_chars(sk, tb + ob, lb);
        double best = 0, best_a = 0, best_b = 0;
        size_t best_rec = SIZE_MAX, best_pa = 0, best_pb = 0;
        pplace key = {.doc = na->doc};
        size_t lo = 0, hi = npl;
        while (lo < hi) { /* first place of doc a */
            size_t mid = lo + (hi - lo) / 2;
            if (pl[mid].doc < key.doc)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t p = lo; p < npl && pl[p].doc == na->doc; p++) {
            if (pl[p].off >= oa + la || pl[p].off + pl[p].len <= oa) continue;
            double ca = coverage(sk, ta, ta_len, oa, la, ca_n, pl[p].off, pl[p].len);
            if (ca <= best) continue;
            nd_passage_record_info ri;
            nd_report_passage(r, pl[p].rec, &ri);
            for (size_t j = 0; j < ri.places; j++) {
                nd_passage_place q;
                if (j == pl[p].j || nd_report_passage_place(r, pl[p].rec, j, &q) != ND_OK ||
                    q.doc != nb->doc)
                    continue;
                double cb = coverage(sk, tb, tb_len, ob, lb, cb_n, q.offset, q.length);
                double m = ca < cb ? ca : cb;
                if (m > best) {
                    best = m;
                    best_a = ca;
                    best_b = cb;
                    best_rec = pl[p].rec;
                    best_pa = pl[p].j;
                    best_pb = j;
                }
            }
            if (best == 0 && ca > best_a) { /* no place in b: remember the best in a */
                best_a = ca;
                best_rec = pl[p].rec;
                best_pa = pl[p].j;
            }
        }
        int ok = best >= P_COVER;
        if (ok) matched[best_rec] = 1;
        want++;
        found += ok;
        snprintf(km, sizeof km, "%s/%s", kind, mut);
        recall_t *c1 = kind_slot(&kinds, kind), *c2 = kind_slot(&muts, mut),
                 *c3 = kind_slot(&both, km);
        if (!c1 || !c2 || !c3) goto out;
        c1->want++, c2->want++, c3->want++;
        c1->found += ok, c2->found += ok, c3->found += ok;
        if (!ok && shown < p_show) {
            shown++;
            printf("passage miss %s/%s: %s %llu+%llu (%ld chars) <-> %s %llu+%llu (%ld chars)",
                   kind, mut, da, oa, la, ca_n, db, ob, lb, cb_n);
            if (best_rec == SIZE_MAX) {
                printf(": no record has a place over the first\n");
            } else {
                nd_passage_record_info ri;
                nd_passage_place qa, qb;
                nd_report_passage(r, best_rec, &ri);
                nd_report_passage_place(r, best_rec, best_pa, &qa);
                printf(": best record %zu (%llu chars, %zu places, similarity %.4f) covers "
                       "%.3f at %llu+%llu",
                       best_rec, (unsigned long long)ri.chars, ri.places, ri.similarity, best_a,
                       (unsigned long long)qa.offset, (unsigned long long)qa.length);
                if (best > 0 && nd_report_passage_place(r, best_rec, best_pb, &qb) == ND_OK)
                    printf(" and %.3f at %llu+%llu\n", best_b, (unsigned long long)qb.offset,
                           (unsigned long long)qb.length);
                else
                    printf(", no place in the second document\n");
            }
        }
    }
    printf("passage recall (>= %.0f%% of both places covered by one record's places): "
           "%zu / %zu = %.4f\n",
           P_COVER * 100, found, want, want ? (double)found / (double)want : 1.0);
    print_pcounts("kind", &kinds);
    print_pcounts("mutation", &muts);
    print_pcounts("kind/mut", &both);
    if (bad_rows) printf("passages.tsv rows not matching the corpus: %zu\n", bad_rows);

    /* precision: every place's text against the first place's */
    size_t judged = 0, right = 0, common = 0, mjudged = 0, mright = 0, verbatim_wrong = 0;
    size_t j2 = 0, r2 = 0;       /* records of two places */
    size_t jh[4] = {0, 0, 0, 0}; /* wrong records by lowest J: < .5, .5-.7, .7-.8, 0 */
    shown = 0;
    for (size_t i = 0; i < nrec; i++) {
        nd_passage_record_info ri;
        const char *t0, *tj;
        size_t l0, lj;
        double minj = 1.0;
        size_t minp = 0;
        nd_report_passage(r, i, &ri);
        if (ri.common) {
            common++;
            continue;
        }
        if (nd_report_passage_text(r, i, 0, &t0, &l0) != ND_OK) goto out;
        for (size_t j = 1; j < ri.places; j++) {
            double jj = 0;
            if (nd_report_passage_text(r, i, j, &tj, &lj) != ND_OK ||
                nd_sketcher_jaccard(sk, t0, l0, tj, lj, &jj) != ND_OK)
                goto out;
            if (jj < minj) {
                minj = jj;
                minp = j;
            }
        }
        int ok = minj >= P_JACCARD;
        judged++;
        right += ok;
        mjudged += matched[i];
        mright += matched[i] && ok;
        j2 += ri.places == 2;
        r2 += ri.places == 2 && ok;
        if (ok) continue;
        jh[minj <= 0 ? 3 : minj < 0.5 ? 0 : minj < 0.7 ? 1 : 2]++;
        verbatim_wrong += ri.similarity >= 1.0;
        if (shown < p_show) {
            nd_passage_place q0, qj;
            nd_document_info d0, dj;
            char p0[160], pj[160];
            shown++;
            nd_report_passage_place(r, i, 0, &q0);
            nd_report_passage_place(r, i, minp, &qj);
            nd_report_document(r, q0.doc, &d0);
            nd_report_document(r, qj.doc, &dj);
            nd_report_passage_text(r, i, minp, &tj, &lj);
            preview(t0, l0, p0, sizeof p0);
            preview(tj, lj, pj, sizeof pj);
            printf("passage below J %.1f: record %zu (%llu chars, %zu places, similarity %.4f%s): "
                   "J %.4f between %s %llu+%llu and %s %llu+%llu\n  [%s]\n  [%s]\n",
                   P_JACCARD, i, (unsigned long long)ri.chars, ri.places, ri.similarity,
                   matched[i] ? ", a planted passage" : "", minj, d0.path,
                   (unsigned long long)q0.offset, (unsigned long long)q0.length, dj.path,
                   (unsigned long long)qj.offset, (unsigned long long)qj.length, p0, pj);
        }
    }
    printf("passage precision (every place vs the first, token-shingle J >= %.1f): "
           "%zu / %zu = %.4f; common-text records left out: %zu\n",
           P_JACCARD, right, judged, judged ? (double)right / (double)judged : 1.0, common);
    printf("passage precision of records matching a planted passage: %zu / %zu = %.4f\n", mright,
           mjudged, mjudged ? (double)mright / (double)mjudged : 1.0);
    printf("passage precision of 2-place records: %zu / %zu = %.4f; of 3+-place records: "
           "%zu / %zu = %.4f\n",
           r2, j2, j2 ? (double)r2 / (double)j2 : 1.0, right - r2, judged - j2,
           judged > j2 ? (double)(right - r2) / (double)(judged - j2) : 1.0);
    printf("passage records below J %.1f, by lowest J: 0 %zu, 0-0.5 %zu, 0.5-0.7 %zu, "
           "0.7-0.8 %zu; of them verbatim (similarity 1) %zu\n",
           P_JACCARD, jh[3], jh[0], jh[1], jh[2], verbatim_wrong);
    rc = 0;
out:
    if (f) fclose(f);
    for (unsigned i = 0; i < 4; i++) free(dc.text[i]);
    free(names);
    free(pl);
    free(matched);
    free(kinds.v);
    free(muts.v);
    free(both.v);
    nd_sketcher_free(sk);
    return rc;
}

/* The same scans with nd_options.passages on; the first run's report is
 * evaluated (passage_eval), and the median total is set against the plain
 * scans' median total tt. */
static int passage_runs(const bench_cfg *c, const char *docs, const char *ptruth, double mb,
                        double tt) {
    double t_total[MAX_RUNS], t_stage[MAX_RUNS];
    unsigned long long records = 0, common = 0, peak = 0;
    for (unsigned run = 0; run < c->runs; run++) {
        nd_options opt;
        nd_options_default(&opt);
        opt.threads = c->threads;
        opt.memory_limit = c->memory;
        if (c->threshold > 0) opt.threshold = c->threshold;
        if (c->max_gap >= 0) opt.max_gap = (unsigned)c->max_gap;
        opt.passages = 1;
        nd_scanner *sc = NULL;
        nd_report *r = NULL;
        nd_status st;
        double t0 = now();
        if ((st = nd_scanner_new(&opt, &sc)) != ND_OK ||
            (st = nd_scanner_set_tmpdir(sc, c->tmpdir)) != ND_OK) {
            fprintf(stderr, "bench: %s\n", nd_strerror(st));
            nd_scanner_free(sc);
            return -1;
        }
        st = nd_scanner_add_path(sc, docs);
        if (st == ND_OK) st = nd_scanner_run(sc, &r);
        nd_scanner_free(sc);
        if (st != ND_OK) {
            fprintf(stderr, "bench: scan --passages failed: %s\n", nd_strerror(st));
            return -1;
        }
        unsigned long long out_bytes = 0;
        if (nd_report_write(r, ND_FORMAT_JSONL, NULL, null_sink, &out_bytes) != ND_OK) {
            nd_report_free(r);
            return -1;
        }
        t_total[run] = now() - t0;
        nd_timings tm;
        nd_summary sum;
        nd_report_timings(r, &tm);
        nd_report_summary(r, &sum);
        t_stage[run] = tm.stage[ND_STAGE_PASSAGE];
        records = sum.passage_records;
        common = sum.common_passages;
        for (int k = 0; k < ND_STAGE_COUNT_; k++)
            if (tm.peak_rss[k] > peak) peak = tm.peak_rss[k];
        int rc = run == 0 ? passage_eval(r, ptruth, &opt) : 0;
        nd_report_free(r);
        if (rc != 0) {
            fprintf(stderr, "bench: cannot evaluate the passages (%s)\n", ptruth);
            return -1;
        }
    }
    double tp = median(t_total, c->runs);
    printf("passage records: %llu (%llu common text); passage stage %.3f s; peak RSS %.1f MB\n",
           records, common, median(t_stage, c->runs), (double)peak / 1e6);
    printf("scan --passages: %.3f s (%.1f MB/s) against plain scan %.3f s (%.1f MB/s): "
           "%.0f%% of the plain throughput\n",
           tp, mb / tp, tt, mb / tt, 100.0 * tt / tp);
    return 0;
}

/* --- main ------------------------------------------------------------------- */

static void usage(void) {
    fputs("usage: bench [--corpus DIR | --size-mb M [--seed S] [--lang zh|en]\n"
          "             [--layout wrapped|lines] [--passages RATE] [--work DIR]] [--runs N]\n"
          "             [--threads N] [--show N]\n"
          "             [--threshold T] [--max-gap N] [--memory BYTES] [--tmpdir DIR]\n"
          "             [--no-floor]\n",
          stderr);
}

static int parse_args(int argc, char **argv, bench_cfg *c) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--no-floor") == 0) {
            c->floor = 0;
            continue;
        }
        if (!v) {
            usage();
            return -1;
        }
        i++;
        errno = 0;
        if (strcmp(a, "--corpus") == 0) {
            c->corpus = v;
            continue;
        }
        if (strcmp(a, "--work") == 0) {
            c->work = v;
            continue;
        }
        if (strcmp(a, "--tmpdir") == 0) {
            c->tmpdir = v;
            continue;
        }
        if (strcmp(a, "--lang") == 0) {
            if (strcmp(v, "zh") != 0 && strcmp(v, "en") != 0) {
                fprintf(stderr, "bench: --lang: '%s' is not zh or en\n", v);
                return -1;
            }
            c->lang = v;
            continue;
        }
        if (strcmp(a, "--layout") == 0) {
            if (strcmp(v, "wrapped") != 0 && strcmp(v, "lines") != 0) {
                fprintf(stderr, "bench: --layout: '%s' is not wrapped or lines\n", v);
                return -1;
            }
            c->layout = v;
            continue;
        }
        if (strcmp(a, "--passages") == 0) {
            double t = strtod(v, &end);
            if (errno || end == v || *end || !(t > 0.0 && t <= 0.5)) {
                fprintf(stderr, "bench: --passages: '%s' is not a number in (0, 0.5]\n", v);
                return -1;
            }
            c->passages = t;
            continue;
        }
        if (strcmp(a, "--threshold") == 0) {
            double t = strtod(v, &end);
            if (errno || end == v || *end || !(t > 0.0 && t <= 1.0)) {
                fprintf(stderr, "bench: --threshold: '%s' is not a number in (0, 1]\n", v);
                return -1;
            }
            c->threshold = t;
            continue;
        }
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || end == v || *end) {
            fprintf(stderr, "bench: %s: '%s' is not a number\n", a, v);
            return -1;
        }
        if (strcmp(a, "--size-mb") == 0 && n >= 1 && n <= 50000)
            c->size_mb = (unsigned)n;
        else if (strcmp(a, "--seed") == 0)
            c->seed = n;
        else if (strcmp(a, "--runs") == 0 && n >= 1 && n <= MAX_RUNS)
            c->runs = (unsigned)n;
        else if (strcmp(a, "--threads") == 0 && n <= 1024)
            c->threads = (unsigned)n;
        else if (strcmp(a, "--memory") == 0)
            c->memory = n;
        else if (strcmp(a, "--show") == 0)
            p_show = (size_t)n;
        else if (strcmp(a, "--max-gap") == 0 && n <= 100000)
            c->max_gap = (long)n;
        else {
            usage();
            return -1;
        }
    }
    if (!c->corpus && !c->size_mb) {
        usage();
        return -1;
    }
    if (c->passages > 0 && c->corpus) {
        fputs("bench: --passages is for generating a corpus (--size-mb); a --corpus DIR with "
              "passages.tsv is evaluated anyway\n",
              stderr);
        return -1;
    }
    if (c->layout && !(c->lang && strcmp(c->lang, "en") == 0)) {
        fputs("bench: --layout needs --lang en\n", stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: see the top */
#endif
    bench_cfg c = {.runs = 3, .seed = 42, .floor = 1, .max_gap = -1};
    char work[4096], docs[4200], truth[4200], ptruth[4200], cmd[9000], genopt[96] = "";
    char psuf[32] = "";
    if (parse_args(argc, argv, &c) != 0) return 1;
    if (!c.corpus) {
        int en = c.lang && strcmp(c.lang, "en") == 0;
        const char *layout = c.layout ? c.layout : "wrapped";
        if (c.passages > 0) snprintf(psuf, sizeof psuf, "-p%g", c.passages);
        if (en) snprintf(genopt, sizeof genopt, " --lang en --layout %s", layout);
        if (c.passages > 0) {
            size_t gl = strlen(genopt);
            snprintf(genopt + gl, sizeof genopt - gl, " --passages %g", c.passages);
        }
        if (c.work)
            snprintf(work, sizeof work, "%s", c.work);
        else if (en)
            snprintf(work, sizeof work, "/tmp/nd-bench-en-%s-%u-%llu%s", layout, c.size_mb, c.seed,
                     psuf);
        else
            snprintf(work, sizeof work, "/tmp/nd-bench-%u-%llu%s", c.size_mb, c.seed, psuf);
        snprintf(truth, sizeof truth, "%s/truth.tsv", work);
        struct stat sb;
        if (stat(truth, &sb) != 0) {
            snprintf(cmd, sizeof cmd, "'%s' --seed %llu --size-mb %u%s --force --out '%s'",
                     ND_GEN_CORPUS, c.seed, c.size_mb, genopt, work);
            fprintf(stderr, "bench: generating %s\n", work);
            if (system(cmd) != 0) {
                fprintf(stderr, "bench: gen_corpus failed\n");
                return 1;
            }
        }
        c.corpus = work;
    }
    snprintf(docs, sizeof docs, "%s/docs", c.corpus);
    snprintf(truth, sizeof truth, "%s/truth.tsv", c.corpus);
    snprintf(ptruth, sizeof ptruth, "%s/passages.tsv", c.corpus);

    static const char *const names[ND_STAGE_COUNT_] = {"read",
                                                       "split",
                                                       "normalise+shingle+MinHash",
                                                       "exact duplicates",
                                                       "LSH",
                                                       "verification",
                                                       "clustering",
                                                       "passages",
                                                       "report (incl. JSONL writer)"};
    double t_stage[ND_STAGE_COUNT_][MAX_RUNS], t_total[MAX_RUNS], t_floor[MAX_RUNS];
    unsigned long long peak[ND_STAGE_COUNT_][MAX_RUNS], peak_all[MAX_RUNS];
    unsigned long long bytes = 0, paragraphs = 0, candidates = 0, verified = 0;
    unsigned long long split_docs[3] = {0, 0, 0}; /* by nd_split_mode used */
    recall_set rs;
    memset(&rs, 0, sizeof rs);
    double threshold = 0;
    int have_recall = -1;
    nd_timings tm0;
    memset(&tm0, 0, sizeof tm0);

    for (unsigned run = 0; run < c.runs; run++) {
        nd_options opt;
        nd_options_default(&opt);
        opt.threads = c.threads;
        opt.memory_limit = c.memory;
        if (c.threshold > 0) opt.threshold = c.threshold;
        threshold = opt.threshold;
        sampler s;
        memset(&s, 0, sizeof s);
        nd_scanner *sc = NULL;
        nd_report *r = NULL;
        nd_status st;
        if (pthread_create(&s.tid, NULL, sampler_main, &s) != 0) return 1;
        double t0 = now();
        if ((st = nd_scanner_new(&opt, &sc)) != ND_OK ||
            (st = nd_scanner_set_tmpdir(sc, c.tmpdir)) != ND_OK) {
            fprintf(stderr, "bench: %s\n", nd_strerror(st));
            return 1;
        }
        nd_scanner_set_progress(sc, on_progress, &s);
        st = nd_scanner_add_path(sc, docs);
        if (st == ND_OK) st = nd_scanner_run(sc, &r);
        nd_scanner_free(sc);
        if (st != ND_OK) {
            fprintf(stderr, "bench: scan failed: %s\n", nd_strerror(st));
            return 1;
        }
        double t1 = now();
        atomic_store(&s.stage, ND_STAGE_COUNT_);
        unsigned long long out_bytes = 0;
        if (nd_report_write(r, ND_FORMAT_JSONL, NULL, null_sink, &out_bytes) != ND_OK) return 1;
        double t2 = now();
        sample_once(&s);
        atomic_store(&s.stop, 1);
        pthread_join(s.tid, NULL);

        nd_timings tm;
        nd_summary sum;
        nd_report_timings(r, &tm);
        nd_report_summary(r, &sum);
        bytes = sum.bytes;
        paragraphs = sum.paragraphs;
        candidates = sum.candidate_pairs;
        verified = sum.verified_pairs;
        memset(split_docs, 0, sizeof split_docs);
        for (size_t i = 0, nd = nd_report_document_count(r); i < nd; i++) {
            nd_document_info di;
            nd_report_document(r, i, &di);
            split_docs[di.split < 3 ? di.split : 0]++;
        }
        if (run == 0) tm0 = tm;
        unsigned long long all = 0;
        for (int k = 0; k < ND_STAGE_COUNT_; k++) {
            t_stage[k][run] = tm.stage[k];
            peak[k][run] = atomic_load(&s.peak[k]);
            if (peak[k][run] > all) all = peak[k][run];
        }
        t_stage[ND_STAGE_REPORT][run] += t2 - t1;
        unsigned long long pw = atomic_load(&s.peak[ND_STAGE_COUNT_]);
        if (pw > peak[ND_STAGE_REPORT][run]) peak[ND_STAGE_REPORT][run] = pw;
        if (pw > all) all = pw;
        peak_all[run] = all;
        t_total[run] = t2 - t0;
        if (run == 0) have_recall = recall(r, truth, &opt, &rs);
        nd_report_free(r);

        if (c.floor) {
            snprintf(cmd, sizeof cmd, "find '%s' -type f -print0 | xargs -0 xxhsum -H3 > /dev/null",
                     docs);
            double f0 = now();
            if (system(cmd) != 0) {
                fprintf(stderr, "bench: xxhsum failed (is xxhash installed?)\n");
                c.floor = 0;
            }
            t_floor[run] = now() - f0;
        }
    }

    double mb = (double)bytes / 1e6;
    printf("corpus %s: %.1f MB, %llu paragraphs; %u run(s), medians; threads %u; "
           "memory limit %llu MB%s\n",
           c.corpus, mb, paragraphs, c.runs, tm0.threads,
           (unsigned long long)(tm0.memory_limit >> 20), tm0.spill_runs ? " (spilled)" : "");
    printf("%-30s %10s %10s %14s\n", "stage", "time s", "MB/s", "peak anon MB");
    for (int k = 0; k < ND_STAGE_COUNT_; k++) {
        double t = median(t_stage[k], c.runs);
        qsort(peak[k], c.runs, sizeof **peak, cmp_ull);
        printf("%-30s %10.3f %10.1f %14.1f\n", names[k], t, t > 0 ? mb / t : 0.0,
               (double)peak[k][c.runs / 2] / 1e6);
    }
    double tt = median(t_total, c.runs);
    qsort(peak_all, c.runs, sizeof *peak_all, cmp_ull);
    printf("%-30s %10.3f %10.1f %14.1f\n", "total", tt, mb / tt,
           (double)peak_all[c.runs / 2] / 1e6);
    printf("peak anon memory per paragraph: %.0f bytes\n",
           paragraphs ? (double)peak_all[c.runs / 2] / (double)paragraphs : 0.0);
    printf("documents split by lines: %llu; by blank lines: %llu\n", split_docs[ND_SPLIT_LINE],
           split_docs[ND_SPLIT_BLANK]);
    if (tm0.spill_runs)
        printf("spilled: %llu runs, %.1f MB\n", (unsigned long long)tm0.spill_runs,
               (double)tm0.spill_bytes / 1e6);
    if (have_recall == 0) {
        const recall_t *a = &rs.all;
        printf("recall (planted pairs, exact J >= %g): %zu / %zu = %.4f\n", threshold, a->found,
               a->want, a->want ? (double)a->found / (double)a->want : 1.0);
        printf("recall (planted pairs, jaccard_estimate >= %g): %zu / %zu = %.4f\n", threshold,
               a->found_est, a->want_est,
               a->want_est ? (double)a->found_est / (double)a->want_est : 1.0);
        print_recall_list("kind", &rs.kind, threshold);
        print_recall_list("group", &rs.group, threshold);
        printf("planted pairs by exact J (both >= min_chars): <0.5 %zu, 0.5-0.6 %zu, "
               "0.6-0.7 %zu, 0.7-0.8 %zu, 0.8-0.9 %zu, 0.9-1 %zu, 1 %zu\n"
               "jaccard_estimate off by > 0.0001: %zu of %zu rows; unmatched rows: %zu\n",
               a->hist[0], a->hist[1], a->hist[2], a->hist[3], a->hist[4], a->hist[5], a->hist[6],
               a->est_off, a->rows, rs.unmatched);
        printf("missed pairs by exact J: %g-%g %zu, %g-%g %zu, >= %g %zu\n", threshold,
               threshold + 0.05, a->missed[0], threshold + 0.05, threshold + 0.1, a->missed[1],
               threshold + 0.1, a->missed[2]);
    } else {
        printf("recall: no truth.tsv\n");
    }
    printf("candidate pairs (LSH): %llu; verified (J >= %g): %llu; verification %.3f s\n",
           candidates, threshold, verified, median(t_stage[ND_STAGE_VERIFY], c.runs));
    free(rs.kind.v);
    free(rs.group.v);
    if (c.floor) {
        double f = median(t_floor, c.runs);
        printf("floor (xxhsum -H3 over the same files): %.3f s (%.1f MB/s); "
               "scan / floor = %.1f\n",
               f, mb / f, tt / f);
    }
    struct stat psb;
    if (stat(ptruth, &psb) == 0) return passage_runs(&c, docs, ptruth, mb, tt) == 0 ? 0 : 1;
    return 0;
}
