/*
 * gen_corpus.c - deterministic benchmark corpus generator for neardup.
 *
 *   gen_corpus --seed N --size-mb M [--lang zh|en] [--layout wrapped|lines]
 *              [--dup-rate F] [--exact-rate F] [--passages F] [--seeds DIR]
 *              [--force] --out DIR
 *
 * Writes DIR/docs/NNNNNN.txt (one paragraph per line, some documents with
 * blank lines between paragraphs), DIR/truth.tsv (every planted pair) and
 * DIR/boilerplate.txt (the navigation lines repeated across documents).
 *
 * Text is recombined from the clauses of the seed corpus (split on the
 * sentence terminators and on commas, colons, semicolons, enumeration
 * commas), so the corpus is large yet mostly non-duplicate.  A fraction of
 * paragraphs are planted near-copies of an earlier paragraph with character
 * edits, Simplified<->Traditional conversion (OpenCC), pinyin annotations and
 * full-width/half-width swaps; another fraction are exact copies.
 *
 * --lang en writes English instead (section "English" below): words, sentence
 * lengths, punctuation and capitalisation drawn from statistics measured from
 * Debian's English text by bench/en_stats.sh and compiled in
 * (bench/en_vocab.inc), laid out as hard-wrapped Markdown-like blocks or one
 * paragraph per line, with planted copies of kinds edit (word edits to a
 * target Jaccard), case, punct, rewrap and multi.  Without --lang en the
 * output is byte-identical to what it was before the English mode existed.
 *
 * Passages (--passages F > 0, for issue 14's copied passages): a body
 * paragraph is, with probability F, a fresh paragraph with a run of 60-400
 * normalised characters of an earlier paragraph inserted in its middle
 * (sentence), two earlier paragraphs merged into one (merge) or one split
 * into two consecutive paragraphs (split); document 8 and about 1 in 250
 * others are one line of 1-3 MB with such runs planted in it (longline).
 * Each run or part is mutated or not (zh: OpenCC script, width, pinyin; en:
 * case, punctuation, one word substituted).  Every planted passage is a row
 * of DIR/passages.tsv with both spans in bytes of the written files.  With
 * F = 0 (the default) no random number is drawn for it and no file written,
 * so the output stays byte-identical.  See bench/README.md, "Planted
 * passages".
 *
 * Everything random comes from one xoshiro256** stream seeded by splitmix64
 * from --seed, and seed files are read in byte order of their names, so the
 * same arguments, seed files and OpenCC data give byte-identical output.
 * See bench/README.md, "Corpus generator".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <opencc.h>

#include "en_vocab.inc" /* English statistics, made by bench/en_stats.sh */

#ifndef ND_DEFAULT_SEEDS_DIR
#define ND_DEFAULT_SEEDS_DIR "examples/seeds"
#endif

#if defined(__GNUC__)
#define ND_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ND_NORETURN     __attribute__((noreturn))
#else
#define ND_PRINTF(a, b)
#define ND_NORETURN
#endif

#define PROG             "gen_corpus"
#define MB_BYTES         UINT64_C(1000000)
#define MAX_SIZE_MB      UINT64_C(50000)
#define MAX_DOCS         1000000u
#define POOL_CAP         65536u
#define MAX_CLAUSE_BYTES 240u

/* ------------------------------------------------------------------------ */
/* Errors and memory                                                        */
/* ------------------------------------------------------------------------ */

static ND_NORETURN ND_PRINTF(1, 2) void die(const char *fmt, ...) {
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%zu bytes)", n);
    return q;
}

static char *xstrndup(const char *s, size_t n) {
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->cap - b->len >= extra) return;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc - b->len < extra) nc *= 2;
    b->p = xrealloc(b->p, nc);
    b->cap = nc;
}

static void buf_put(buf_t *b, const void *s, size_t n) {
    if (n == 0) return; /* b->p may still be NULL: no memcpy(NULL, s, 0) */
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_putc(buf_t *b, char c) {
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

typedef struct {
    uint32_t *p;
    size_t len, cap;
} cpv_t;

static void cpv_reserve(cpv_t *v, size_t n) {
    if (v->cap >= n) return;
    size_t nc = v->cap ? v->cap : 256;
    while (nc < n) nc *= 2;
    v->p = xrealloc(v->p, nc * sizeof *v->p);
    v->cap = nc;
}

static void cpv_push(cpv_t *v, uint32_t c) {
    cpv_reserve(v, v->len + 1);
    v->p[v->len++] = c;
}

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64 seeding xoshiro256**                                    */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void rng_seed(rng_t *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rng_next(rng_t *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

static uint64_t rng_below(rng_t *r, uint64_t n) { return n ? rng_next(r) % n : 0; }

static double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

static int rng_chance(rng_t *r, double p) { return rng_unit(r) < p; }

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                    */
/* ------------------------------------------------------------------------ */

/* Decodes one character at s[0..n-1] (n >= 1); invalid bytes give U+FFFD and
 * consume one byte.  Returns the bytes consumed. */
static size_t utf8_dec(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return len;
}

static size_t utf8_enc(uint32_t c, char *o) {
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static void decode_all(const char *s, size_t n, cpv_t *out) {
    const unsigned char *u = (const unsigned char *)s;
    out->len = 0;
    cpv_reserve(out, n);
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        i += utf8_dec(u + i, n - i, &c);
        out->p[out->len++] = c;
    }
}

static void encode_all(const cpv_t *v, buf_t *out) {
    out->len = 0;
    buf_reserve(out, v->len * 4);
    for (size_t i = 0; i < v->len; i++) out->len += utf8_enc(v->p[i], out->p + out->len);
}

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Number of characters (lead bytes) in s[0..n-1]. */
static size_t utf8_count(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += !is_cont((unsigned char)s[i]);
    return k;
}

/* Byte offset of the k-th character boundary of s (or n). */
static size_t utf8_skip(const char *s, size_t n, size_t k) {
    size_t i = 0;
    while (i < n && k > 0) {
        i++;
        while (i < n && is_cont((unsigned char)s[i])) i++;
        k--;
    }
    return i;
}

/* ------------------------------------------------------------------------ */
/* Built-in tables                                                          */
/* ------------------------------------------------------------------------ */

/* Common characters (Simplified, Traditional) with a tone-marked reading, for
 * pinyin annotations such as 态(tài).  Taken from the annotations that occur
 * in the sample corpus. */
static const char *const PINYIN[][3] = {
    {"态", "態", "tài"},   {"领", "領", "lǐng"}, {"发", "發", "fā"},     {"关", "關", "guān"},
    {"网", "網", "wǎng"},  {"权", "權", "quán"}, {"规", "規", "guī"},    {"结", "結", "jié"},
    {"业", "業", "yè"},    {"现", "現", "xiàn"}, {"统", "統", "tǒng"},   {"内", "內", "nèi"},
    {"调", "調", "diào"},  {"产", "產", "chǎn"}, {"创", "創", "chuàng"}, {"环", "環", "huán"},
    {"经", "經", "jīng"},  {"质", "質", "zhì"},  {"区", "區", "qū"},     {"战", "戰", "zhàn"},
    {"监", "監", "jiān"},  {"镇", "鎮", "zhèn"}, {"协", "協", "xié"},    {"执", "執", "zhí"},
    {"乡", "鄉", "xiāng"}, {"优", "優", "yōu"},  {"续", "續", "xù"},     {"联", "聯", "lián"},
    {"据", "據", "jù"},    {"数", "數", "shù"},  {"稳", "穩", "wěn"},    {"构", "構", "gòu"},
    {"农", "農", "nóng"},  {"养", "養", "yǎng"}, {"转", "轉", "zhuǎn"},  {"节", "節", "jié"},
};
#define N_PINYIN (sizeof PINYIN / sizeof PINYIN[0])

/* Web navigation lines, grouped by "site": a document from a site carries
 * some of its header and footer lines.  [i][0..3] header, [i][4..7] footer. */
static const char *const SITES[][8] = {
    {"首页 | 工作总结 | 工作计划 | 述职报告 | 心得体会 | 演讲稿 | 范文大全",
     "当前位置：首页 > 工作总结 > 党建工作总结", NULL, NULL, "上一篇：返回列表 下一篇：没有了",
     "版权所有 © 2012-2024 第一范文网 保留所有权利",
     "声明：本站内容来源于网络，如有侵权请联系删除。", NULL},
    {"SUCAI198.COM —— 专注党建行政公文写作范文", "登录 | 注册 | 会员中心 | 帮助", NULL, NULL,
     "微信扫码分享", "微信扫码领取福利", "免责声明：文章内容仅供参考，不代表本站观点。", NULL},
    {"網站首頁 個人文檔 個人總結 工作總結 述職報告 心得體會 演講稿 講話致辭 實用文 教學資源 "
     "企業文化 公文 論文",
     "欄目: 黨建工作總結 / 人氣:1.74W", NULL, NULL, "熱門文章",
     "Copyright © 2024 範文中心 All Rights Reserved", NULL, NULL},
    {"您现在的位置：首页 > 公文写作 > 工作报告", "字号：大 中 小 | 打印本页 | 关闭窗口", NULL, NULL,
     "【打印】【关闭】【返回顶部】", "相关推荐：工作总结 述职报告 讲话稿", NULL, NULL},
    {"首页 新闻 公告 政务公开 办事服务 互动交流", "无障碍浏览 | 长者模式 | 繁体版", NULL, NULL,
     "主办单位：XX市人民政府办公室 承办单位：XX市大数据中心",
     "网站标识码：1234000001 备案号：X ICP备12345678号",
     "建议使用1366×768分辨率 IE9.0以上版本浏览器", NULL},
    {"首頁 > 範文大全 > 工作報告", NULL, NULL, NULL, "分享到：微信 微博 QQ空間",
     "本文由網友上傳，僅供學習參考。", NULL, NULL},
};
#define N_SITES (sizeof SITES / sizeof SITES[0])

static const char *const HEAD_NUM[] = {
    "一、",   "二、",   "三、", "四、", "五、", "六、", "七、", "八、",   "（一）", "（二）",
    "（三）", "（四）", "(一)", "(二)", "1.",   "2.",   "3.",   "第一，", "第二，", "第三，"};
#define N_HEAD_NUM (sizeof HEAD_NUM / sizeof HEAD_NUM[0])

static const char *const TITLE_SUFFIX[2][6] = {
    {"工作总结", "情况报告", "自查报告", "工作计划", "讲话稿", "心得体会"},
    {"工作總結", "情況報告", "自查報告", "工作計劃", "講話稿", "心得體會"}};

/* ------------------------------------------------------------------------ */
/* Seed corpus: clause pools                                                */
/* ------------------------------------------------------------------------ */

enum { D_NONE = 0, D_COMMA, D_ENUM, D_COLON, D_SEMI };

typedef struct {
    const char *s;
    uint32_t len;
    uint8_t delim;
} clause_t;

typedef struct {
    buf_t arena;
    size_t *off; /* offsets into arena while building */
    clause_t *c;
    size_t n, cap;
} pool_t;

static void pool_add(pool_t *p, const char *s, size_t len, uint8_t delim) {
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->c = xrealloc(p->c, p->cap * sizeof *p->c);
        p->off = xrealloc(p->off, p->cap * sizeof *p->off);
    }
    p->off[p->n] = p->arena.len;
    p->c[p->n].s = NULL;
    p->c[p->n].len = (uint32_t)len;
    p->c[p->n].delim = delim;
    p->n++;
    buf_put(&p->arena, s, len);
}

static int clause_cmp(const void *a, const void *b) {
    const clause_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (int)x->delim - (int)y->delim;
}

/* Fixes the pointers, sorts and drops repeated clause texts. */
static void pool_finish(pool_t *p) {
    for (size_t i = 0; i < p->n; i++) p->c[i].s = p->arena.p + p->off[i];
    free(p->off);
    p->off = NULL;
    if (p->n == 0) return;
    qsort(p->c, p->n, sizeof *p->c, clause_cmp);
    size_t k = 1;
    for (size_t i = 1; i < p->n; i++) {
        const clause_t *a = &p->c[k - 1], *b = &p->c[i];
        if (a->len == b->len && memcmp(a->s, b->s, a->len) == 0) continue;
        p->c[k++] = *b;
    }
    p->n = k;
}

static int is_space_at(const unsigned char *s, size_t n, size_t i, size_t *w) {
    if (s[i] == ' ' || s[i] == '\t') {
        *w = 1;
        return 1;
    }
    if (i + 2 < n && s[i] == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x80) {
        *w = 3;
        return 1;
    }
    return 0;
}

/* Classifies the punctuation mark at s[i]: returns its byte length (0 if
 * none) and *kind: D_* or -1 for a sentence terminator. */
static size_t punct_at(const unsigned char *s, size_t n, size_t i, int *kind) {
    switch (s[i]) {
    case ',': *kind = D_COMMA; return 1;
    case ';': *kind = D_SEMI; return 1;
    case ':': *kind = D_COLON; return 1;
    case '!':
    case '?': *kind = -1; return 1;
    default: break;
    }
    if (i + 2 >= n) return 0;
    unsigned a = s[i], b = s[i + 1], c = s[i + 2];
    if (a == 0xE3 && b == 0x80) {
        if (c == 0x81) {
            *kind = D_ENUM;
            return 3;
        } /* 、 */
        if (c == 0x82) {
            *kind = -1;
            return 3;
        } /* 。 */
    }
    if (a == 0xEF && b == 0xBC) {
        switch (c) {
        case 0x8C: *kind = D_COMMA; return 3; /* ， */
        case 0x9B: *kind = D_SEMI; return 3;  /* ； */
        case 0x9A: *kind = D_COLON; return 3; /* ： */
        case 0x81:                            /* ！ */
        case 0x9F: *kind = -1; return 3;      /* ？ */
        default: break;
        }
    }
    return 0;
}

static void add_clause(pool_t *raw, const unsigned char *s, size_t a, size_t b, int kind) {
    size_t w;
    while (a < b && is_space_at(s, b, a, &w)) a += w;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    while (b >= a + 3 && s[b - 3] == 0xE3 && s[b - 2] == 0x80 && s[b - 1] == 0x80) b -= 3;
    /* Overlong clauses (text without punctuation) are cut into pieces. */
    while (b - a > MAX_CLAUSE_BYTES) {
        size_t cut = a + MAX_CLAUSE_BYTES;
        while (cut > a && is_cont(s[cut])) cut--;
        if (utf8_count((const char *)s + a, cut - a) >= 2)
            pool_add(raw, (const char *)s + a, cut - a, D_COMMA);
        a = cut;
    }
    if (utf8_count((const char *)s + a, b - a) >= 2)
        pool_add(raw, (const char *)s + a, b - a, (uint8_t)(kind < 0 ? D_NONE : kind));
}

static void split_line(pool_t *raw, const unsigned char *s, size_t n) {
    size_t start = 0, i = 0;
    while (i < n) {
        int kind;
        size_t w = punct_at(s, n, i, &kind);
        if (w) {
            add_clause(raw, s, start, i, kind);
            i += w;
            start = i;
        } else {
            i++;
        }
    }
    add_clause(raw, s, start, n, D_NONE);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_file(const char *path, buf_t *out) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("cannot open '%s': %s", path, strerror(errno));
    out->len = 0;
    for (;;) {
        buf_reserve(out, 65536);
        ssize_t r = read(fd, out->p + out->len, out->cap - out->len);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("cannot read '%s': %s", path, strerror(errno));
        }
        if (r == 0) break;
        out->len += (size_t)r;
    }
    close(fd);
}

/* Reads DIR/ *.txt in byte order of names into raw clauses. */
static void load_seeds(const char *dir, pool_t *raw) {
    DIR *d = opendir(dir);
    if (!d) die("cannot open '%s': %s", dir, strerror(errno));
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0 || e->d_name[0] == '.') continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[nn++] = xstrndup(e->d_name, l);
    }
    if (errno) die("cannot read '%s': %s", dir, strerror(errno));
    closedir(d);
    if (nn == 0) die("no *.txt seed files in '%s'", dir);
    qsort(names, nn, sizeof *names, name_cmp);

    buf_t file = {0}, path = {0};
    for (size_t f = 0; f < nn; f++) {
        path.len = 0;
        buf_puts(&path, dir);
        buf_putc(&path, '/');
        buf_puts(&path, names[f]);
        buf_putc(&path, '\0');
        read_file(path.p, &file);
        const unsigned char *s = (const unsigned char *)file.p;
        size_t n = file.len, i = 0;
        if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;
        while (i < n) {
            size_t j = i;
            while (j < n && s[j] != '\n') j++;
            size_t k = j;
            if (k > i && s[k - 1] == '\r') k--;
            split_line(raw, s + i, k - i);
            i = j + 1;
        }
        free(names[f]);
    }
    free(names);
    free(file.p);
    free(path.p);
}

/* ------------------------------------------------------------------------ */
/* English generator state (--lang en; see "English" below)                 */
/* ------------------------------------------------------------------------ */

enum { LAYOUT_WRAPPED = 0, LAYOUT_LINES };

/* A word as written: leading punctuation, the word (first to last ASCII
 * letter or digit), trailing punctuation; all NUL-terminated. */
typedef struct {
    char pre[16], core[48], suf[16];
} item_t;

typedef struct {
    item_t *p;
    size_t len, cap;
} itemv_t;

/* A body paragraph of the current document: its one-line text in en_t.flat,
 * the width it was wrapped at (0 = not wrapped) and its first line. */
typedef struct {
    size_t off;
    uint32_t len, width, line;
    size_t foff; /* where its first line starts in the document's file */
} enpara_t;

typedef struct {
    int layout;
    uint64_t word_cum[EN_NWORDS]; /* cumulative EN_WORDS counts */
    uint64_t sent_cum[61], psent_cum[21];
    buf_t flat; /* one-line texts of the current document's paragraphs */
    enpara_t *ep;
    size_t nep, capep;
    itemv_t ia, ib, ic, ibest; /* scratch: source, copy, trial, best trial */
    buf_t ra, rb, before;      /* scratch: rendered texts */
    buf_t src, para;           /* the copy's source, the new paragraph */
    uint64_t *ta, *tb;         /* token hashes */
    size_t capta, captb;
    uint64_t kinds[8]; /* near-copies per kind (statistics) */
} en_t;

/* ------------------------------------------------------------------------ */
/* Generator state                                                          */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *text;
    uint32_t len, doc, line;
    uint32_t width; /* English: wrap width of the source, 0 = one line */
    uint64_t off;   /* byte offset of the paragraph's text in its file */
} src_t;

typedef struct {
    size_t off;
    uint32_t len, line;
} para_t;

typedef struct {
    rng_t rng;
    opencc_t s2t, t2s;
    pool_t pools[2]; /* 0 Simplified, 1 Traditional */
    uint32_t *han;   /* Han characters of the seeds, with multiplicity */
    size_t nhan;
    uint8_t pyidx[65536]; /* BMP code point -> 1 + PINYIN row, or 0 */
    cpv_t py[N_PINYIN];
    double dup_rate, exact_rate;

    src_t *pool; /* earlier paragraphs usable as copy sources */
    size_t npool;
    para_t *dp; /* content paragraphs of the current document */
    size_t ndp, capdp;

    /* scratch */
    cpv_t a, b, na, nb;
    uint64_t *ha, *hb;
    size_t capha, caphb;
    buf_t s, t;

    /* statistics */
    uint64_t paragraphs, near, exact, boiler;

    /* English (--lang en); unused by the Chinese generator */
    en_t en;

    /* Planted passages (--passages); unused when prate is 0 */
    double prate;
    FILE *ptruth;                 /* DIR/passages.tsv */
    buf_t ps1, ps2, pf, pm1, pm2; /* sources, fresh text, mutated parts */
    buf_t pd, pwrap;              /* English: flat paragraph, scratch wrap */
    cpv_t pc1, pc2;
    size_t *pb; /* cut points (cuts()) */
    size_t npb, cappb;
    uint64_t prows[4], plong; /* rows per passage kind; long-line documents */
} gen_t;

/* Converts s[0..n-1] with OpenCC into out; returns 1 if the text changed. */
static int convert(opencc_t od, const char *s, size_t n, buf_t *out) {
    char *r = opencc_convert_utf8(od, s, n);
    if (!r) die("OpenCC conversion failed: %s", opencc_error());
    size_t rl = strlen(r);
    out->len = 0;
    buf_put(out, r, rl);
    opencc_convert_utf8_free(r);
    return rl != n || memcmp(out->p, s, n) != 0;
}

/* Removes pinyin annotations "(tài)" from s (Simplified text rarely has
 * them; in the sample corpus they follow Traditional characters). */
static void strip_pinyin(buf_t *s) {
    size_t o = 0, i = 0, n = s->len;
    char *p = s->p;
    while (i < n) {
        if (p[i] == '(') {
            size_t j = i + 1;
            int letters = 0;
            while (j < n && j < i + 17) {
                unsigned char c = (unsigned char)p[j];
                if (c >= 'a' && c <= 'z')
                    letters = 1;
                else if (!((c >= 0xC3 && c <= 0xC7) || is_cont(c)))
                    break;
                j++;
            }
            if (letters && j < n && p[j] == ')') {
                i = j + 1;
                continue;
            }
        }
        p[o++] = p[i++];
    }
    s->len = o;
}

static void build_pools(gen_t *g, pool_t *raw) {
    buf_t tmp = {0};
    pool_finish(raw);
    if (raw->n == 0) die("no usable text in the seed files");
    for (size_t i = 0; i < raw->n; i++) {
        const clause_t *c = &raw->c[i];
        convert(g->t2s, c->s, c->len, &tmp);
        strip_pinyin(&tmp);
        if (utf8_count(tmp.p, tmp.len) >= 2) pool_add(&g->pools[0], tmp.p, tmp.len, c->delim);
        convert(g->s2t, c->s, c->len, &tmp);
        pool_add(&g->pools[1], tmp.p, tmp.len, c->delim);
    }
    free(tmp.p);
    pool_finish(&g->pools[0]);
    pool_finish(&g->pools[1]);

    cpv_t v = {0};
    for (int k = 0; k < 2; k++) {
        const pool_t *p = &g->pools[k];
        for (size_t i = 0; i < p->n; i++) {
            const unsigned char *u = (const unsigned char *)p->c[i].s;
            size_t n = p->c[i].len, j = 0;
            while (j < n) {
                uint32_t c;
                j += utf8_dec(u + j, n - j, &c);
                if (c >= 0x4E00 && c <= 0x9FFF) cpv_push(&v, c);
            }
        }
    }
    if (v.len == 0) die("no Han characters in the seed files");
    g->han = v.p;
    g->nhan = v.len;
}

static void build_pinyin(gen_t *g) {
    for (size_t i = 0; i < N_PINYIN; i++) {
        for (int k = 0; k < 2; k++) {
            uint32_t c;
            const char *s = PINYIN[i][k];
            utf8_dec((const unsigned char *)s, strlen(s), &c);
            if (c < 65536) g->pyidx[c] = (uint8_t)(i + 1);
        }
        decode_all(PINYIN[i][2], strlen(PINYIN[i][2]), &g->py[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Fresh text                                                               */
/* ------------------------------------------------------------------------ */

typedef struct {
    int script; /* 0 Simplified, 1 Traditional */
    int ascii;  /* ASCII , ; : instead of full-width */
    int blank;  /* blank line between paragraphs */
    int indent; /* two U+3000 before body paragraphs */
    int site;   /* boilerplate site or -1 */
} style_t;

/* Moves a cut point out of a pinyin annotation "(...)" to before its '('. */
static size_t cut_fix_left(const char *s, size_t cut) {
    size_t lim = cut > 10 ? cut - 10 : 0;
    for (size_t i = cut; i > lim; i--) {
        if (s[i - 1] == ')') return cut;
        if (s[i - 1] == '(') return i - 1;
    }
    return cut;
}

/* Moves a cut point out of a pinyin annotation to after its ')'. */
static size_t cut_fix_right(const char *s, size_t n, size_t cut) {
    size_t lim = cut + 10 < n ? cut + 10 : n;
    for (size_t i = cut; i < lim; i++) {
        if (s[i] == '(') return cut;
        if (s[i] == ')') return i + 1;
    }
    return cut;
}

/* Appends the body of a clause: a seed clause, or (half the time) the head of
 * one spliced to the tail of another.  max_chars 0 = no limit.  Returns the
 * delimiter kind of the clause used last. */
static int put_clause(gen_t *g, const pool_t *p, buf_t *out, size_t max_chars) {
    const clause_t *a = &p->c[rng_below(&g->rng, p->n)];
    if (max_chars == 0 && rng_chance(&g->rng, 0.5)) {
        buf_put(out, a->s, a->len);
        return a->delim;
    }
    const clause_t *b = &p->c[rng_below(&g->rng, p->n)];
    size_t na = utf8_count(a->s, a->len), nb = utf8_count(b->s, b->len);
    size_t ka = na / 3 + (size_t)rng_below(&g->rng, na - na / 3 + 1);
    size_t kb = (size_t)rng_below(&g->rng, nb * 2 / 3 + 1);
    if (max_chars) {
        if (ka > max_chars) ka = max_chars;
        if (nb - kb > max_chars) kb = nb - max_chars;
    }
    size_t ca = cut_fix_left(a->s, utf8_skip(a->s, a->len, ka));
    size_t cb = cut_fix_right(b->s, b->len, utf8_skip(b->s, b->len, kb));
    buf_put(out, a->s, ca);
    buf_put(out, b->s + cb, b->len - cb);
    return b->delim;
}

static void put_delim(buf_t *out, int kind, int ascii) {
    switch (kind) {
    case D_ENUM: buf_puts(out, "、"); break;
    case D_COLON: buf_puts(out, ascii ? ":" : "："); break;
    case D_SEMI: buf_puts(out, ascii ? ";" : "；"); break;
    default: buf_puts(out, ascii ? "," : "，"); break;
    }
}

/* Replaces some runs of ASCII digits with other digits (years keep "20"). */
static void vary_digits(gen_t *g, char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] < '0' || s[i] > '9') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (rng_chance(&g->rng, 0.6)) {
            size_t k = i;
            if (j - i == 4 && s[i] == '2' && s[i + 1] == '0') k += 2;
            for (; k < j; k++) s[k] = (char)('0' + rng_below(&g->rng, 10));
        }
        i = j;
    }
}

/* A new paragraph of 5..36 clauses in sentences of random length. */
static void gen_fresh(gen_t *g, const style_t *st, buf_t *out) {
    const pool_t *p = &g->pools[st->script];
    size_t start = out->len;
    unsigned target = 5 + (unsigned)rng_below(&g->rng, 8);
    if (rng_chance(&g->rng, 0.2)) target += (unsigned)rng_below(&g->rng, 24);
    for (unsigned i = 0; i < target; i++) {
        int kind = put_clause(g, p, out, 0);
        int last = i + 1 == target;
        if (last || rng_chance(&g->rng, 0.3)) {
            uint64_t r = rng_below(&g->rng, 100);
            buf_puts(out, r < 96 ? "。" : r < 98 ? "！" : "？");
        } else {
            put_delim(out, kind, st->ascii);
        }
    }
    vary_digits(g, out->p + start, out->len - start);
}

/* A short heading: numbering and at most 16 characters. */
static void gen_heading(gen_t *g, const style_t *st, buf_t *out) {
    buf_puts(out, HEAD_NUM[rng_below(&g->rng, N_HEAD_NUM)]);
    put_clause(g, &g->pools[st->script], out, 8);
}

static void gen_title(gen_t *g, const style_t *st, buf_t *out) {
    put_clause(g, &g->pools[st->script], out, 6);
    buf_puts(out, TITLE_SUFFIX[st->script][rng_below(&g->rng, 6)]);
}

/* ------------------------------------------------------------------------ */
/* Near-copies                                                              */
/* ------------------------------------------------------------------------ */

enum { K_EDIT = 1, K_S2T = 2, K_T2S = 4, K_WIDTH = 8, K_PINYIN = 16, K_SCRIPT = 32 };

/* Normalisation approximating the library's for the Jaccard estimate:
 * full-width ASCII folded, ASCII lower-cased, pinyin annotations dropped,
 * only letters, digits and CJK characters kept. */
static void approx_norm(const cpv_t *in, cpv_t *out) {
    out->len = 0;
    cpv_reserve(out, in->len);
    for (size_t i = 0; i < in->len; i++) {
        uint32_t c = in->p[i];
        if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
        if (c == '(' || c == 0xFF08) {
            size_t j = i + 1;
            while (
                j < in->len && j < i + 8 &&
                ((in->p[j] >= 'a' && in->p[j] <= 'z') || (in->p[j] >= 0xC0 && in->p[j] <= 0x24F)))
                j++;
            if (j > i + 1 && j < in->len && (in->p[j] == ')' || in->p[j] == 0xFF09)) {
                i = j;
                continue;
            }
        }
        if (c >= 'A' && c <= 'Z') c += 32;
        int keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                   (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
                   (c >= 0x2E80 && !(c >= 0x3000 && c <= 0x303F) && !(c >= 0xFE30 && c <= 0xFE4F) &&
                    !(c >= 0xFF00 && c <= 0xFFEF) && c != 0xFFFD);
        if (keep) out->p[out->len++] = c;
    }
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define SHINGLE 5

static size_t shingles(const cpv_t *v, uint64_t **h, size_t *cap) {
    size_t n = v->len < SHINGLE ? (v->len ? 1 : 0) : v->len - SHINGLE + 1;
    if (*cap < n + 1) {
        *cap = n + 1;
        *h = xrealloc(*h, *cap * sizeof **h);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t x = UINT64_C(0x6e65617264757031);
        size_t end = i + SHINGLE < v->len ? i + SHINGLE : v->len;
        for (size_t j = i; j < end; j++) x = (x ^ v->p[j]) * UINT64_C(0x100000001b3);
        (*h)[i] = splitmix64(&x);
    }
    qsort(*h, n, sizeof **h, u64_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || (*h)[k - 1] != (*h)[i]) (*h)[k++] = (*h)[i];
    return k;
}

static double jaccard_est(gen_t *g) {
    approx_norm(&g->a, &g->na);
    approx_norm(&g->b, &g->nb);
    size_t x = shingles(&g->na, &g->ha, &g->capha);
    size_t y = shingles(&g->nb, &g->hb, &g->caphb);
    size_t i = 0, j = 0, both = 0;
    while (i < x && j < y) {
        if (g->ha[i] < g->hb[j])
            i++;
        else if (g->ha[i] > g->hb[j])
            j++;
        else
            both++, i++, j++;
    }
    size_t uni = x + y - both;
    return uni ? (double)both / (double)uni : 0.0;
}

static uint32_t rand_han(gen_t *g) { return g->han[rng_below(&g->rng, g->nhan)]; }

/* 1-5 % of the characters substituted, inserted or deleted (at least one). */
static void apply_edits(gen_t *g, cpv_t *v) {
    double rate = 0.01 + 0.04 * rng_unit(&g->rng);
    size_t k = (size_t)((double)v->len * rate + 0.5);
    if (k == 0) k = 1;
    for (size_t e = 0; e < k; e++) {
        uint64_t op = rng_below(&g->rng, 4);
        if (v->len < 2) op = 2;
        if (op <= 1) { /* substitute */
            size_t i = (size_t)rng_below(&g->rng, v->len);
            uint32_t c;
            do c = rand_han(g);
            while (c == v->p[i] && g->nhan > 1);
            v->p[i] = c;
        } else if (op == 2) { /* insert */
            size_t i = (size_t)rng_below(&g->rng, v->len + 1);
            cpv_reserve(v, v->len + 1);
            memmove(v->p + i + 1, v->p + i, (v->len - i) * sizeof *v->p);
            v->p[i] = rand_han(g);
            v->len++;
        } else { /* delete */
            size_t i = (size_t)rng_below(&g->rng, v->len);
            memmove(v->p + i, v->p + i + 1, (v->len - i - 1) * sizeof *v->p);
            v->len--;
        }
    }
}

/* Swaps ASCII <-> full-width forms (and 。、 <-> half-width forms). */
static int swap_width(gen_t *g, cpv_t *v) {
    double p = 0.5 + 0.5 * rng_unit(&g->rng);
    int changed = 0;
    for (size_t i = 0; i < v->len; i++) {
        uint32_t c = v->p[i], d = c;
        if (c >= 0x21 && c <= 0x7E)
            d = c + 0xFEE0;
        else if (c >= 0xFF01 && c <= 0xFF5E)
            d = c - 0xFEE0;
        else if (c == 0x20)
            d = 0x3000;
        else if (c == 0x3000)
            d = 0x20;
        else if (c == 0x3002)
            d = 0xFF61;
        else if (c == 0xFF61)
            d = 0x3002;
        else if (c == 0x3001)
            d = 0xFF64;
        else if (c == 0xFF64)
            d = 0x3001;
        if (d != c && rng_chance(&g->rng, p)) {
            v->p[i] = d;
            changed = 1;
        }
    }
    return changed;
}

/* Adds readings after some of the characters in the built-in list. */
static int add_pinyin(gen_t *g, const cpv_t *in, cpv_t *out) {
    double p = 0.3 + 0.7 * rng_unit(&g->rng);
    int changed = 0;
    out->len = 0;
    for (size_t i = 0; i < in->len; i++) {
        uint32_t c = in->p[i];
        cpv_push(out, c);
        unsigned k = c < 65536 ? g->pyidx[c] : 0;
        if (!k) continue;
        if (i + 1 < in->len && (in->p[i + 1] == '(' || in->p[i + 1] == 0xFF08)) continue;
        if (!rng_chance(&g->rng, p)) continue;
        const cpv_t *py = &g->py[k - 1];
        cpv_push(out, '(');
        for (size_t j = 0; j < py->len; j++) cpv_push(out, py->p[j]);
        cpv_push(out, ')');
        changed = 1;
    }
    return changed;
}

/* Appends a near-copy of src to out; returns the K_* kinds applied and the
 * Jaccard estimate in *jac. */
static unsigned make_near(gen_t *g, const char *src, size_t n, buf_t *out, double *jac) {
    unsigned want = 0, kinds;
    if (rng_chance(&g->rng, 0.6)) want |= K_EDIT;
    if (rng_chance(&g->rng, 0.35)) want |= K_SCRIPT;
    if (rng_chance(&g->rng, 0.3)) want |= K_WIDTH;
    if (rng_chance(&g->rng, 0.25)) want |= K_PINYIN;
    if (!want) want = K_EDIT;
    decode_all(src, n, &g->a);
    for (;;) {
        kinds = 0;
        g->b.len = 0;
        cpv_reserve(&g->b, g->a.len);
        memcpy(g->b.p, g->a.p, g->a.len * sizeof *g->a.p);
        g->b.len = g->a.len;
        *jac = 1.0;
        if (want & K_EDIT) {
            apply_edits(g, &g->b);
            *jac = jaccard_est(g);
            kinds |= K_EDIT;
        }
        encode_all(&g->b, &g->s);
        if (want & K_SCRIPT) {
            int first_s2t = rng_chance(&g->rng, 0.5);
            opencc_t o1 = first_s2t ? g->s2t : g->t2s, o2 = first_s2t ? g->t2s : g->s2t;
            if (convert(o1, g->s.p, g->s.len, &g->t)) {
                kinds |= first_s2t ? K_S2T : K_T2S;
            } else if (convert(o2, g->s.p, g->s.len, &g->t)) {
                kinds |= first_s2t ? K_T2S : K_S2T;
            }
            if (kinds & (K_S2T | K_T2S)) {
                buf_t x = g->s;
                g->s = g->t;
                g->t = x;
            }
        }
        if (want & (K_WIDTH | K_PINYIN)) {
            decode_all(g->s.p, g->s.len, &g->b);
            int changed = 0;
            if ((want & K_WIDTH) && swap_width(g, &g->b)) {
                kinds |= K_WIDTH;
                changed = 1;
            }
            if (want & K_PINYIN) {
                if (add_pinyin(g, &g->b, &g->na)) {
                    kinds |= K_PINYIN;
                    cpv_t x = g->b;
                    g->b = g->na;
                    g->na = x;
                    changed = 1;
                }
            }
            if (changed) encode_all(&g->b, &g->s);
        }
        if (kinds) break;
        want = K_EDIT;
    }
    buf_put(out, g->s.p, g->s.len);
    return kinds;
}

static void kinds_name(unsigned k, char *o, size_t n) {
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {K_EDIT, "edit"}, {K_S2T, "s2t"}, {K_T2S, "t2s"}, {K_WIDTH, "width"}, {K_PINYIN, "pinyin"}};
    size_t len = 0;
    o[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(k & names[i].bit)) continue;
        int w = snprintf(o + len, n - len, "%s%s", len ? "," : "", names[i].name);
        if (w < 0 || (size_t)w >= n - len) return;
        len += (size_t)w;
    }
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

static void write_file(const char *path, const char *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("cannot open '%s': %s", path, strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("cannot write '%s': %s", path, strerror(errno));
        }
        off += (size_t)w;
    }
    if (close(fd) != 0) die("cannot write '%s': %s", path, strerror(errno));
}

static int is_generated_doc(const char *name) {
    size_t n = strlen(name), d = 0;
    while (d < n && name[d] >= '0' && name[d] <= '9') d++;
    return d >= 6 && strcmp(name + d, ".txt") == 0;
}

static void remove_path(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT) die("cannot remove '%s': %s", path, strerror(errno));
}

static void make_dir(const char *path) {
    if (mkdir(path, 0777) == 0) return;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return;
    die("cannot create '%s': %s", path, strerror(err == EEXIST ? ENOTDIR : err));
}

/* Creates DIR (if needed) and DIR/docs; refuses a non-empty DIR unless force,
 * in which case files of an earlier run are removed. */
static void prepare_out(const char *out, int force) {
    make_dir(out);
    DIR *d = opendir(out);
    if (!d) die("cannot open '%s': %s", out, strerror(errno));
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
    closedir(d);
    if (!empty && !force) die("output directory '%s' is not empty (use --force to overwrite)", out);

    buf_t p = {0};
    if (!empty) {
        static const char *const files[] = {"truth.tsv", "boilerplate.txt", "passages.tsv"};
        for (size_t i = 0; i < 3; i++) {
            p.len = 0;
            buf_puts(&p, out);
            buf_putc(&p, '/');
            buf_puts(&p, files[i]);
            buf_putc(&p, '\0');
            remove_path(p.p);
        }
        p.len = 0;
        buf_puts(&p, out);
        buf_puts(&p, "/docs");
        buf_putc(&p, '\0');
        d = opendir(p.p);
        if (d) {
            size_t base = p.len - 1;
            while ((e = readdir(d)) != NULL) {
                if (!is_generated_doc(e->d_name)) continue;
                p.len = base;
                buf_putc(&p, '/');
                buf_puts(&p, e->d_name);
                buf_putc(&p, '\0');
                remove_path(p.p);
            }
            closedir(d);
        } else if (errno != ENOENT) {
            die("cannot open '%s': %s", p.p, strerror(errno));
        }
    }
    p.len = 0;
    buf_puts(&p, out);
    buf_puts(&p, "/docs");
    buf_putc(&p, '\0');
    make_dir(p.p);
    free(p.p);
}

/* ------------------------------------------------------------------------ */
/* Documents                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    buf_t text;
    uint32_t line; /* lines written so far */
    int blank;
} doc_t;

/* Starts a new line (after a blank line in blank-separated documents) and
 * returns its 1-based number. */
static uint32_t doc_line(doc_t *d) {
    if (d->blank && d->line > 0) {
        buf_putc(&d->text, '\n');
        d->line++;
    }
    return ++d->line;
}

static void doc_add_para(gen_t *g, size_t off, size_t len, uint32_t line) {
    if (g->ndp == g->capdp) {
        g->capdp = g->capdp ? g->capdp * 2 : 256;
        g->dp = xrealloc(g->dp, g->capdp * sizeof *g->dp);
    }
    g->dp[g->ndp].off = off;
    g->dp[g->ndp].len = (uint32_t)len;
    g->dp[g->ndp].line = line;
    g->ndp++;
}

static void pool_insert(gen_t *g, const char *s, size_t len, uint32_t doc, uint32_t line,
                        uint32_t width, uint64_t off) {
    size_t slot;
    if (g->npool < POOL_CAP) {
        slot = g->npool++;
    } else {
        slot = (size_t)rng_below(&g->rng, POOL_CAP);
        free(g->pool[slot].text);
    }
    g->pool[slot].text = xstrndup(s, len);
    g->pool[slot].len = (uint32_t)len;
    g->pool[slot].doc = doc;
    g->pool[slot].line = line;
    g->pool[slot].width = width;
    g->pool[slot].off = off;
}

static void gen_boiler(gen_t *g, doc_t *d, int site, int footer) {
    for (int i = 0; i < 4; i++) {
        const char *s = SITES[site][footer * 4 + i];
        if (!s || !rng_chance(&g->rng, 0.85)) continue;
        doc_line(d);
        buf_puts(&d->text, s);
        buf_putc(&d->text, '\n');
        g->boiler++;
    }
}

/* ------------------------------------------------------------------------ */
/* Planted passages (--passages; see "Passages" in the opening comment)     */
/* ------------------------------------------------------------------------ */

enum { PK_SENTENCE = 0, PK_MERGE, PK_SPLIT, PK_LONGLINE, PK_N };
static const char *const PK_NAME[PK_N] = {"sentence", "merge", "split", "longline"};
#define P_MIN_NORM 60u /* normalised characters of every planted passage, at least */
#define P_MAX_WANT 400u

static void ptruth_row(gen_t *g, unsigned kind, const char *mut, uint32_t da, uint64_t oa,
                       uint64_t la, uint32_t db, uint64_t ob, uint64_t lb) {
    if (fprintf(g->ptruth, "%s\t%s\tdocs/%06u.txt\t%llu\t%llu\tdocs/%06u.txt\t%llu\t%llu\n",
                PK_NAME[kind], mut, da, (unsigned long long)oa, (unsigned long long)la, db,
                (unsigned long long)ob, (unsigned long long)lb) < 0)
        die("cannot write passages.tsv: %s", strerror(errno));
    g->prows[kind]++;
}

/* Characters of s[0..n-1] left by approx_norm (letters, digits, CJK). */
static size_t norm_len(gen_t *g, const char *s, size_t n) {
    decode_all(s, n, &g->pc1);
    approx_norm(&g->pc1, &g->pc2);
    return g->pc2.len;
}

static int is_delim(uint32_t c) {
    switch (c) {
    case ',':
    case ';':
    case ':':
    case '!':
    case '?':
    case 0x3001:
    case 0x3002:
    case 0xFF0C:
    case 0xFF1B:
    case 0xFF1A:
    case 0xFF01:
    case 0xFF1F:
    case 0xFF61:
    case 0xFF64: return 1;
    default: return 0;
    }
}

static void pb_push(gen_t *g, size_t v) {
    if (g->npb == g->cappb) {
        g->cappb = g->cappb ? g->cappb * 2 : 256;
        g->pb = xrealloc(g->pb, g->cappb * sizeof *g->pb);
    }
    g->pb[g->npb++] = v;
}

/* Cut points of s[0..n-1] into g->pb: 0, the byte after every clause
 * delimiter (Chinese) or the start of every word (English), and n.  Returns
 * how many. */
static size_t cuts(gen_t *g, const char *s, size_t n, int en) {
    g->npb = 0;
    pb_push(g, 0);
    if (en) {
        for (size_t i = 1; i < n; i++)
            if (s[i - 1] == ' ' && s[i] != ' ') pb_push(g, i);
    } else {
        size_t i = 0;
        while (i < n) {
            uint32_t c;
            i += utf8_dec((const unsigned char *)s + i, n - i, &c);
            if (is_delim(c) && i < n) pb_push(g, i);
        }
    }
    if (n > 0) pb_push(g, n);
    return g->npb;
}

/* Drops trailing spaces and clause delimiters of s[rs..*re-1]. */
static void trim_end(const char *s, size_t rs, size_t *re) {
    while (*re > rs) {
        if (s[*re - 1] == ' ') {
            (*re)--;
            continue;
        }
        size_t b = *re - 1;
        while (b > rs && is_cont((unsigned char)s[b])) b--;
        uint32_t c;
        utf8_dec((const unsigned char *)s + b, *re - b, &c);
        if (!is_delim(c)) break;
        *re = b;
    }
}

/* A run of whole units of s (between the m cut points in g->pb) from a
 * random unit, of at least `want` normalised characters (or to the end of s,
 * then grown backwards to P_MIN_NORM), trailing delimiters dropped: s[*rs,
 * *re).  Returns 0 when all of s is shorter than P_MIN_NORM. */
static int pick_run(gen_t *g, const char *s, size_t m, size_t want, size_t *rs, size_t *re) {
    if (m < 2) return 0;
    size_t nu = m - 1, i = (size_t)rng_below(&g->rng, nu), j = i + 1;
    for (;; j++)
        if (j == nu || norm_len(g, s + g->pb[i], g->pb[j] - g->pb[i]) >= want) break;
    while (i > 0 && norm_len(g, s + g->pb[i], g->pb[j] - g->pb[i]) < P_MIN_NORM) i--;
    if (norm_len(g, s + g->pb[i], g->pb[j] - g->pb[i]) < P_MIN_NORM) return 0;
    *rs = g->pb[i];
    *re = g->pb[j];
    trim_end(s, *rs, re);
    return 1;
}

/* A random cut point k of s (1 <= k < m - 1) leaving at least P_MIN_NORM
 * normalised characters on either side; 0 if there is none. */
static size_t pick_split(gen_t *g, const char *s, size_t n, size_t m) {
    size_t ok = 0, first = 0;
    for (size_t k = 1; k + 1 < m; k++)
        if (norm_len(g, s, g->pb[k]) >= P_MIN_NORM &&
            norm_len(g, s + g->pb[k], n - g->pb[k]) >= P_MIN_NORM) {
            if (!ok) first = k;
            ok++;
        }
    /* the valid cut points are consecutive: the prefix grows, the rest shrinks */
    return ok ? first + (size_t)rng_below(&g->rng, ok) : 0;
}

/* The mutation of a planted passage: 0 none (40 %), 1-3 (20 % each): zh
 * script, width, pinyin; en case, punct, edit. */
static unsigned pick_mut(gen_t *g) {
    uint64_t u = rng_below(&g->rng, 10);
    return u < 4 ? 0u : u < 6 ? 1u : u < 8 ? 2u : 3u;
}

static unsigned pick_kind(gen_t *g) {
    uint64_t u = rng_below(&g->rng, 10);
    return u < 6 ? PK_SENTENCE : u < 8 ? PK_MERGE : PK_SPLIT;
}

/* s[0..n-1] with mutation m into out (s must not be out); returns its
 * name, "none" when it changed nothing. */
static const char *mutate_zh(gen_t *g, unsigned m, const char *s, size_t n, buf_t *out) {
    if (m == 1) {
        int dir = rng_chance(&g->rng, 0.5);
        if (convert(dir ? g->s2t : g->t2s, s, n, out) || convert(dir ? g->t2s : g->s2t, s, n, out))
            return "script";
    } else if (m == 2) {
        decode_all(s, n, &g->pc1);
        if (swap_width(g, &g->pc1)) {
            encode_all(&g->pc1, out);
            return "width";
        }
    } else if (m == 3) {
        decode_all(s, n, &g->pc1);
        if (add_pinyin(g, &g->pc1, &g->pc2)) {
            encode_all(&g->pc2, out);
            return "pinyin";
        }
    }
    out->len = 0;
    buf_put(out, s, n);
    return "none";
}

/* A copy of a random earlier paragraph (this document's or the pool's)
 * into out, with its document and byte offset. */
static int pick_src_zh(gen_t *g, const doc_t *d, uint32_t doc, buf_t *out, uint32_t *sdoc,
                       uint64_t *soff) {
    out->len = 0;
    if (g->ndp > 0 && (g->npool == 0 || rng_chance(&g->rng, 0.3))) {
        const para_t *pp = &g->dp[rng_below(&g->rng, g->ndp)];
        buf_put(out, d->text.p + pp->off, pp->len);
        *sdoc = doc;
        *soff = pp->off;
    } else if (g->npool > 0) {
        const src_t *sp = &g->pool[rng_below(&g->rng, g->npool)];
        buf_put(out, sp->text, sp->len);
        *sdoc = sp->doc;
        *soff = sp->off;
    } else {
        return 0;
    }
    return 1;
}

/* A run of a random earlier paragraph, mutated, into g->pm1, its source
 * span into *sdoc, *soff, *slen; returns the mutation's name, NULL if the
 * paragraph was too short. */
static const char *run_zh(gen_t *g, const doc_t *d, uint32_t doc, uint32_t *sdoc, uint64_t *soff,
                          uint64_t *slen) {
    unsigned m = pick_mut(g);
    size_t want = P_MIN_NORM + (size_t)rng_below(&g->rng, P_MAX_WANT - P_MIN_NORM + 1), rs, re;
    if (!pick_src_zh(g, d, doc, &g->ps1, sdoc, soff)) return NULL;
    size_t mc = cuts(g, g->ps1.p, g->ps1.len, 0);
    if (!pick_run(g, g->ps1.p, mc, want, &rs, &re)) return NULL;
    *soff += rs;
    *slen = re - rs;
    return mutate_zh(g, m, g->ps1.p + rs, re - rs, &g->pm1);
}

/* Ends a body paragraph begun at off on line `line`. */
static void end_para_zh(gen_t *g, doc_t *d, size_t off, uint32_t line) {
    doc_add_para(g, off, d->text.len - off, line);
    buf_putc(&d->text, '\n');
    g->paragraphs++;
}

/* Writes a body paragraph with a planted passage (two for a split) whose
 * line `line` is started and indented, its text beginning at off.  Returns
 * 0, having written nothing, when the sources drawn were too short. */
static int plant_zh(gen_t *g, const style_t *st, doc_t *d, uint32_t doc, uint32_t line,
                    size_t off) {
    unsigned kind = pick_kind(g);
    uint32_t sd1, sd2;
    uint64_t so1, so2, sl1;
    if (kind == PK_SENTENCE) {
        const char *mn = run_zh(g, d, doc, &sd1, &so1, &sl1);
        if (!mn) return 0;
        g->pf.len = 0;
        gen_fresh(g, st, &g->pf);
        size_t nf = cuts(g, g->pf.p, g->pf.len, 0) - 1; /* last cut point */
        size_t lo = nf / 4, p = g->pb[lo + (size_t)rng_below(&g->rng, nf / 2 + 1)];
        buf_put(&d->text, g->pf.p, p);
        size_t boff = d->text.len;
        buf_put(&d->text, g->pm1.p, g->pm1.len);
        buf_puts(&d->text, "\xe3\x80\x82"); /* 。 */
        buf_put(&d->text, g->pf.p + p, g->pf.len - p);
        ptruth_row(g, PK_SENTENCE, mn, sd1, so1, sl1, doc, boff, g->pm1.len);
        end_para_zh(g, d, off, line);
        return 1;
    }
    unsigned m = pick_mut(g), t;
    size_t need = kind == PK_MERGE ? P_MIN_NORM : 2 * P_MIN_NORM;
    for (t = 0; t < 8; t++) /* a source long enough, in a few tries */
        if (!pick_src_zh(g, d, doc, &g->ps1, &sd1, &so1) ||
            norm_len(g, g->ps1.p, g->ps1.len) >= need)
            break;
    if (t == 8 || g->ps1.len == 0) return 0;
    if (kind == PK_MERGE) {
        for (t = 0; t < 8; t++)
            if (!pick_src_zh(g, d, doc, &g->ps2, &sd2, &so2) ||
                norm_len(g, g->ps2.p, g->ps2.len) >= need)
                break;
        if (t == 8 || g->ps2.len == 0 || (sd1 == sd2 && so1 == so2)) return 0;
        const char *mn1 = mutate_zh(g, m, g->ps1.p, g->ps1.len, &g->pm1);
        const char *mn2 = mutate_zh(g, m, g->ps2.p, g->ps2.len, &g->pm2);
        size_t o1 = d->text.len;
        buf_put(&d->text, g->pm1.p, g->pm1.len);
        size_t o2 = d->text.len;
        buf_put(&d->text, g->pm2.p, g->pm2.len);
        ptruth_row(g, PK_MERGE, mn1, sd1, so1, g->ps1.len, doc, o1, g->pm1.len);
        ptruth_row(g, PK_MERGE, mn2, sd2, so2, g->ps2.len, doc, o2, g->pm2.len);
        end_para_zh(g, d, off, line);
        return 1;
    }
    size_t mc = cuts(g, g->ps1.p, g->ps1.len, 0);
    size_t k = pick_split(g, g->ps1.p, g->ps1.len, mc);
    if (!k) return 0;
    size_t p = g->pb[k];
    const char *mn1 = mutate_zh(g, m, g->ps1.p, p, &g->pm1);
    const char *mn2 = mutate_zh(g, m, g->ps1.p + p, g->ps1.len - p, &g->pm2);
    buf_put(&d->text, g->pm1.p, g->pm1.len);
    end_para_zh(g, d, off, line);
    uint32_t line2 = doc_line(d);
    if (st->indent) buf_puts(&d->text, "\xe3\x80\x80\xe3\x80\x80");
    size_t off2 = d->text.len;
    buf_put(&d->text, g->pm2.p, g->pm2.len);
    end_para_zh(g, d, off2, line2);
    ptruth_row(g, PK_SPLIT, mn1, sd1, so1, p, doc, off, g->pm1.len);
    ptruth_row(g, PK_SPLIT, mn2, sd1, so1 + p, g->ps1.len - p, doc, off2, g->pm2.len);
    return 1;
}

/* The body of a long-line document: one line of fresh paragraphs with runs
 * of earlier paragraphs planted in it, until d->text reaches want. */
static void long_line_zh(gen_t *g, const style_t *st, doc_t *d, uint32_t doc, size_t want) {
    doc_line(d);
    while (d->text.len < want) {
        uint32_t sd;
        uint64_t so, sl;
        const char *mn;
        if (g->npool > 0 && rng_chance(&g->rng, 0.05) &&
            (mn = run_zh(g, d, doc, &sd, &so, &sl)) != NULL) {
            size_t boff = d->text.len;
            buf_put(&d->text, g->pm1.p, g->pm1.len);
            buf_puts(&d->text, "\xe3\x80\x82"); /* 。 */
            ptruth_row(g, PK_LONGLINE, mn, sd, so, sl, doc, boff, g->pm1.len);
        } else {
            gen_fresh(g, st, &d->text);
        }
    }
    buf_putc(&d->text, '\n');
    g->paragraphs++;
}

/* Generates document `doc` of about `want` bytes into d->text. */
static void gen_doc(gen_t *g, uint32_t doc, size_t want, int longline, doc_t *d, FILE *truth) {
    style_t st;
    st.script = rng_chance(&g->rng, 0.3);
    st.ascii = rng_chance(&g->rng, 0.6);
    st.blank = rng_chance(&g->rng, 0.3);
    st.indent = rng_chance(&g->rng, 0.15);
    st.site = rng_chance(&g->rng, 0.6) ? (int)rng_below(&g->rng, N_SITES) : -1;
    d->text.len = 0;
    d->line = 0;
    d->blank = st.blank;
    g->ndp = 0;

    if (st.site >= 0) gen_boiler(g, d, st.site, 0);
    unsigned titles = 1 + (rng_chance(&g->rng, 0.2) ? 1u : 0u);
    doc_line(d);
    size_t tbody = d->text.len;
    gen_title(g, &st, &d->text);
    size_t tend = d->text.len;
    buf_putc(&d->text, '\n');
    if (titles == 2) {
        doc_line(d);
        buf_reserve(&d->text, tend - tbody + 1);
        buf_put(&d->text, d->text.p + tbody, tend - tbody);
        buf_putc(&d->text, '\n');
    }

    char kname[64];
    if (longline) long_line_zh(g, &st, d, doc, want);
    while (!longline && d->text.len < want) {
        if (rng_chance(&g->rng, 0.06)) {
            doc_line(d);
            gen_heading(g, &st, &d->text);
            buf_putc(&d->text, '\n');
            continue;
        }
        uint32_t line = doc_line(d);
        if (st.indent) buf_puts(&d->text, "\xe3\x80\x80\xe3\x80\x80");
        size_t off = d->text.len;
        if (g->prate > 0 && (g->ndp > 0 || g->npool > 0) && rng_chance(&g->rng, g->prate) &&
            plant_zh(g, &st, d, doc, line, off))
            continue;
        double u = rng_unit(&g->rng);
        int have_src = g->ndp > 0 || g->npool > 0;
        if (have_src && u < g->dup_rate + g->exact_rate) {
            const char *src;
            size_t slen;
            uint32_t sdoc, sline;
            if (g->ndp > 0 && (g->npool == 0 || rng_chance(&g->rng, 0.3))) {
                const para_t *pp = &g->dp[rng_below(&g->rng, g->ndp)];
                buf_reserve(&d->text, (size_t)pp->len * 8 + 64);
                src = d->text.p + pp->off;
                slen = pp->len;
                sdoc = doc;
                sline = pp->line;
            } else {
                const src_t *sp = &g->pool[rng_below(&g->rng, g->npool)];
                src = sp->text;
                slen = sp->len;
                sdoc = sp->doc;
                sline = sp->line;
            }
            double jac = 1.0;
            if (u < g->dup_rate) {
                /* src may point into d->text: make_near reads it before
                 * appending, and the buffer was reserved above. */
                unsigned k = make_near(g, src, slen, &d->text, &jac);
                kinds_name(k, kname, sizeof kname);
                g->near++;
            } else {
                buf_put(&d->text, src, slen); /* capacity reserved above */
                snprintf(kname, sizeof kname, "exact");
                g->exact++;
            }
            if (fprintf(truth, "docs/%06u.txt\t%u\tdocs/%06u.txt\t%u\t%s\t%.4f\n", sdoc, sline, doc,
                        line, kname, jac) < 0)
                die("cannot write truth.tsv: %s", strerror(errno));
        } else {
            gen_fresh(g, &st, &d->text);
        }
        doc_add_para(g, off, d->text.len - off, line);
        buf_putc(&d->text, '\n');
        g->paragraphs++;
    }
    if (st.site >= 0) gen_boiler(g, d, st.site, 1);

    for (size_t i = 0; i < g->ndp; i++)
        if (rng_chance(&g->rng, 0.25))
            pool_insert(g, d->text.p + g->dp[i].off, g->dp[i].len, doc, g->dp[i].line, 0,
                        g->dp[i].off);
}

/* ------------------------------------------------------------------------ */
/* English (--lang en)                                                      */
/* ------------------------------------------------------------------------ */

/* Fresh text follows the statistics in en_vocab.inc, measured by
 * bench/en_stats.sh from English text installed by Debian: each word is
 * EN_WORDS[i] with probability proportional to its count (Zipfian, as
 * measured), sentences are EN_SENT_LEN words long (at least 3), wrapped
 * paragraphs have EN_PARA_SENTS sentences (at least 8 words), a word is
 * followed by , ; : at the measured rates, "(" opens a 2-5 word aside at the
 * measured rate, and sentences end in . ? ! in the measured proportions.  The
 * first word of a sentence is capitalised; every other word is spelled as it
 * mostly was mid-sentence ("GNU", "Debian", "the").
 *
 * A paragraph is kept as one line of words separated by single spaces (its
 * "flat" text) and written either as it is (--layout lines) or wrapped at
 * the document's width (--layout wrapped); wrapping breaks only at spaces, so
 * the same flat text and width always give the same bytes. */

enum { EK_EDIT = 0, EK_CASE, EK_PUNCT, EK_REWRAP, EK_MULTI, EK_N };
static const char *const EN_KIND[EK_N] = {"edit", "case", "punct", "rewrap", "multi"};

static void en_init(en_t *e, int layout) {
    uint64_t t = 0;
    e->layout = layout;
    for (size_t i = 0; i < EN_NWORDS; i++) {
        t += EN_WORDS[i].n;
        e->word_cum[i] = t;
    }
    t = 0;
    for (size_t i = 0; i < 61; i++) {
        t += EN_SENT_LEN[i];
        e->sent_cum[i] = t;
    }
    t = 0;
    for (size_t i = 0; i < 21; i++) {
        t += EN_PARA_SENTS[i];
        e->psent_cum[i] = t;
    }
}

static void en_free(en_t *e) {
    free(e->flat.p);
    free(e->ep);
    free(e->ia.p);
    free(e->ib.p);
    free(e->ic.p);
    free(e->ibest.p);
    free(e->ra.p);
    free(e->rb.p);
    free(e->before.p);
    free(e->src.p);
    free(e->para.p);
    free(e->ta);
    free(e->tb);
}

/* Index i with probability cum[i] - cum[i - 1] (cum[-1] = 0). */
static size_t cum_pick(rng_t *r, const uint64_t *cum, size_t n) {
    uint64_t u = rng_below(r, cum[n - 1]);
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void set_str(char *dst, size_t cap, const char *s, size_t n) {
    if (n >= cap) n = cap - 1;
    memmove(dst, s, n);
    dst[n] = '\0';
}

static void cat_str(char *dst, size_t cap, const char *s) {
    size_t l = strlen(dst);
    set_str(dst + l, cap - l, s, strlen(s));
}

static int is_alnum_c(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static char lower_c(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch; }

static char upper_c(char ch) { return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch; }

static int eq_nocase(const char *a, const char *b) {
    while (*a && lower_c(*a) == lower_c(*b)) a++, b++;
    return *a == '\0' && *b == '\0';
}

static void itemv_reserve(itemv_t *v, size_t n) {
    if (v->cap >= n) return;
    size_t nc = v->cap ? v->cap : 64;
    while (nc < n) nc *= 2;
    v->p = xrealloc(v->p, nc * sizeof *v->p);
    v->cap = nc;
}

static item_t *itemv_insert(itemv_t *v, size_t at) {
    itemv_reserve(v, v->len + 1);
    memmove(v->p + at + 1, v->p + at, (v->len - at) * sizeof *v->p);
    v->len++;
    memset(&v->p[at], 0, sizeof v->p[at]);
    return &v->p[at];
}

static void itemv_erase(itemv_t *v, size_t at) {
    memmove(v->p + at, v->p + at + 1, (v->len - at - 1) * sizeof *v->p);
    v->len--;
}

static void itemv_copy(itemv_t *dst, const itemv_t *src) {
    itemv_reserve(dst, src->len);
    if (src->len) memcpy(dst->p, src->p, src->len * sizeof *src->p);
    dst->len = src->len;
}

static const char *en_word(gen_t *g) {
    return EN_WORDS[cum_pick(&g->rng, g->en.word_cum, EN_NWORDS)].w;
}

static size_t en_sent_len(gen_t *g) {
    size_t k = cum_pick(&g->rng, g->en.sent_cum, 61);
    return k < 3 ? 3 : k;
}

/* Appends a sentence of nwords words to v. */
static void en_sentence(gen_t *g, itemv_t *v, size_t nwords) {
    size_t paren = 0;
    for (size_t i = 0; i < nwords; i++) {
        item_t *it = itemv_insert(v, v->len);
        const char *w = en_word(g);
        set_str(it->core, sizeof it->core, w, strlen(w));
        if (i == 0) it->core[0] = upper_c(it->core[0]);
        if (paren == 0 && i + 3 < nwords && rng_chance(&g->rng, EN_PAREN_RATE)) {
            set_str(it->pre, sizeof it->pre, "(", 1);
            paren = 1 + (size_t)rng_below(&g->rng, 4);
        } else if (paren > 0 && --paren == 0) {
            cat_str(it->suf, sizeof it->suf, ")");
        }
        if (i + 1 == nwords) {
            if (paren > 0) cat_str(it->suf, sizeof it->suf, ")");
            uint64_t u = rng_below(&g->rng, EN_TERM_DOT + EN_TERM_QUESTION + EN_TERM_BANG);
            cat_str(it->suf, sizeof it->suf,
                    u < EN_TERM_DOT                      ? "."
                    : u < EN_TERM_DOT + EN_TERM_QUESTION ? "?"
                                                         : "!");
        } else {
            double u = rng_unit(&g->rng);
            if (u < EN_COMMA_RATE)
                cat_str(it->suf, sizeof it->suf, ",");
            else if (u < EN_COMMA_RATE + EN_SEMI_RATE)
                cat_str(it->suf, sizeof it->suf, ";");
            else if (u < EN_COMMA_RATE + EN_SEMI_RATE + EN_COLON_RATE)
                cat_str(it->suf, sizeof it->suf, ":");
        }
    }
}

/* The flat text of v: its words joined by single spaces. */
static void en_render(const itemv_t *v, buf_t *out) {
    out->len = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (i) buf_putc(out, ' ');
        buf_puts(out, v->p[i].pre);
        buf_puts(out, v->p[i].core);
        buf_puts(out, v->p[i].suf);
    }
}

/* Splits a flat text into words (runs of spaces separate them). */
static void en_parse(const char *s, size_t n, itemv_t *v) {
    size_t i = 0;
    v->len = 0;
    while (i < n) {
        while (i < n && s[i] == ' ') i++;
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        if (j == i) break;
        item_t *it = itemv_insert(v, v->len);
        size_t a = i, b = j;
        while (a < j && !is_alnum_c(s[a])) a++;
        if (a == j) {
            set_str(it->pre, sizeof it->pre, s + i, j - i);
        } else {
            while (!is_alnum_c(s[b - 1])) b--;
            set_str(it->pre, sizeof it->pre, s + i, a - i);
            set_str(it->core, sizeof it->core, s + a, b - a);
            set_str(it->suf, sizeof it->suf, s + b, j - b);
        }
        i = j;
    }
}

/* Writes the flat text s[0..n-1] as lines of at most width columns (0: one
 * line), breaking only at spaces; the first line starts with `first`, the
 * others with `rest`, and every line ends with '\n'.  A word longer than the
 * width gets a line of its own.  Returns the number of lines. */
static uint32_t en_wrap(buf_t *out, const char *s, size_t n, uint32_t width, const char *first,
                        const char *rest) {
    uint32_t lines = 1;
    size_t col = strlen(first), i = 0;
    int start = 1;
    buf_puts(out, first);
    while (i < n) {
        size_t sp = i;
        while (i < n && s[i] == ' ') i++;
        size_t w = i;
        while (i < n && s[i] != ' ') i++;
        if (i == w) break; /* trailing spaces */
        size_t seplen = w - sp, wl = utf8_count(s + w, i - w);
        if (start) {
            buf_put(out, s + w, i - w);
            col += wl;
            start = 0;
        } else if (width == 0 || col + seplen + wl <= width) {
            buf_put(out, s + sp, i - sp);
            col += seplen + wl;
        } else {
            buf_putc(out, '\n');
            buf_puts(out, rest);
            buf_put(out, s + w, i - w);
            col = strlen(rest) + wl;
            lines++;
        }
    }
    buf_putc(out, '\n');
    return lines;
}

/* Token hashes of a text as the library sees English: a token is a maximal
 * run of ASCII letters and digits, lower-cased; anything else separates. */
static size_t en_tokens(const char *s, size_t n, uint64_t **t, size_t *cap) {
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && !is_alnum_c(s[i])) i++;
        if (i == n) break;
        uint64_t x = UINT64_C(0xcbf29ce484222325);
        while (i < n && is_alnum_c(s[i]))
            x = (x ^ (unsigned char)lower_c(s[i++])) * UINT64_C(0x100000001b3);
        if (k == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *t = xrealloc(*t, *cap * sizeof **t);
        }
        (*t)[k++] = x;
    }
    return k;
}

/* Turns the n token hashes in t into the sorted, distinct hashes of their
 * SHINGLE-token shingles (one shingle if there are fewer tokens); returns
 * how many. */
static size_t en_shingles(uint64_t *t, size_t n) {
    size_t m = n < SHINGLE ? (n ? 1 : 0) : n - SHINGLE + 1;
    for (size_t i = 0; i < m; i++) {
        uint64_t x = UINT64_C(0x6e65617264757031);
        size_t end = i + SHINGLE < n ? i + SHINGLE : n;
        for (size_t j = i; j < end; j++) x = rotl64(x, 27) ^ t[j];
        t[i] = splitmix64(&x);
    }
    qsort(t, m, sizeof *t, u64_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || t[k - 1] != t[i]) t[k++] = t[i];
    return k;
}

static double set_jaccard(const uint64_t *a, size_t x, const uint64_t *b, size_t y) {
    size_t i = 0, j = 0, both = 0;
    while (i < x && j < y) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else
            both++, i++, j++;
    }
    size_t uni = x + y - both;
    return uni ? (double)both / (double)uni : 0.0;
}

/* Jaccard of the shingles of text s[0..n-1] with the source's (e->ta). */
static double en_jaccard_text(en_t *e, size_t na, const char *s, size_t n) {
    size_t nb = en_tokens(s, n, &e->tb, &e->captb);
    nb = en_shingles(e->tb, nb);
    return set_jaccard(e->ta, na, e->tb, nb);
}

static double en_jaccard_items(en_t *e, size_t na, const itemv_t *v) {
    en_render(v, &e->rb);
    return en_jaccard_text(e, na, e->rb.p, e->rb.len);
}

/* One word substitution, insertion or deletion (deleting only a word without
 * punctuation, from a paragraph of more than 4 words). */
static void en_edit_op(gen_t *g, itemv_t *v) {
    for (int tries = 0; tries < 16; tries++) {
        unsigned op = (unsigned)rng_below(&g->rng, 3);
        if (op == 1 || v->len == 0) break; /* insertion, below */
        size_t i = (size_t)rng_below(&g->rng, v->len);
        item_t *it = &v->p[i];
        if (!it->core[0]) continue;
        if (op == 0) {
            const char *w = en_word(g);
            if (eq_nocase(w, it->core)) continue;
            int cap = it->core[0] >= 'A' && it->core[0] <= 'Z';
            set_str(it->core, sizeof it->core, w, strlen(w));
            if (cap) it->core[0] = upper_c(it->core[0]);
            return;
        }
        if (v->len <= 4 || it->pre[0] || it->suf[0]) continue;
        itemv_erase(v, i);
        return;
    }
    item_t *it = itemv_insert(v, (size_t)rng_below(&g->rng, v->len + 1));
    const char *w = en_word(g);
    set_str(it->core, sizeof it->core, w, strlen(w));
}

/* Word edits on e->ib, one at a time.  An edit is kept while the Jaccard
 * with the source (shingles e->ta[0..na-1]) stays >= target; it stops when
 * it is within 0.03 above the target, or after 12 rejected edits in a row.
 * If no edit could be kept, the best rejected one is.  So the strength of
 * the edits follows the target whatever the paragraph's length: a long
 * paragraph takes many edits, a short one few, mostly near its ends. */
static void en_edit(gen_t *g, size_t na, double target) {
    en_t *e = &g->en;
    double best = -1.0;
    unsigned kept = 0, fails = 0;
    while (fails < 12 && kept < 200) {
        itemv_copy(&e->ic, &e->ib);
        en_edit_op(g, &e->ic);
        double j = en_jaccard_items(e, na, &e->ic);
        if (j >= target) {
            itemv_t t = e->ib;
            e->ib = e->ic;
            e->ic = t;
            kept++;
            fails = 0;
            if (j < target + 0.03) break;
        } else {
            fails++;
            if (kept == 0 && j > best) {
                best = j;
                itemv_copy(&e->ibest, &e->ic);
            }
        }
    }
    if (kept == 0) itemv_copy(&e->ib, &e->ibest);
}

/* Letter case: 0 all lower, 1 all upper, 2 Title Case, 3 some words upper,
 * 4 the first letter of some words swapped. */
static void en_case(gen_t *g, itemv_t *v, unsigned var) {
    for (size_t i = 0; i < v->len; i++) {
        char *c = v->p[i].core;
        if (var == 3 && !rng_chance(&g->rng, 0.15)) continue;
        if (var == 4) {
            if (rng_chance(&g->rng, 0.3))
                c[0] = c[0] >= 'a' && c[0] <= 'z' ? upper_c(c[0]) : lower_c(c[0]);
            continue;
        }
        if (var == 2) {
            c[0] = upper_c(c[0]);
            continue;
        }
        for (; *c; c++) *c = var == 0 ? lower_c(*c) : upper_c(*c);
    }
}

/* Punctuation and spacing that do not change the words: 0 drop , ; :,
 * 1 add commas, 2 sentence ends changed, 3 quotes around some words, 4 two
 * spaces after sentences, 5 commas become dashes, 6 typographic
 * apostrophes, 7 one added comma (or "!" at the end). */
static void en_punct(gen_t *g, itemv_t *v, unsigned var) {
    size_t n = v->len;
    for (size_t i = 0; i < n; i++) {
        item_t *it = &v->p[i];
        size_t sl = strlen(it->suf);
        char last = sl ? it->suf[sl - 1] : '\0';
        switch (var) {
        case 0: {
            size_t k = 0;
            for (size_t j = 0; j < sl; j++)
                if (it->suf[j] != ',' && it->suf[j] != ';' && it->suf[j] != ':')
                    it->suf[k++] = it->suf[j];
            it->suf[k] = '\0';
            break;
        }
        case 1:
            if (!sl && i + 1 < n && it->core[0] && rng_chance(&g->rng, 0.15))
                cat_str(it->suf, sizeof it->suf, ",");
            break;
        case 2:
            if (last == '.' && i + 1 == n)
                cat_str(it->suf, sizeof it->suf, "..");
            else if (last == '.' && rng_chance(&g->rng, 0.5))
                it->suf[sl - 1] = rng_chance(&g->rng, 0.5) ? ';' : '!';
            break;
        case 3:
            if (it->core[0] && !it->pre[0] && !sl && i + 2 < n && rng_chance(&g->rng, 0.08)) {
                int typo = rng_chance(&g->rng, 0.5);
                size_t k = i + (size_t)rng_below(&g->rng, 3);
                set_str(it->pre, sizeof it->pre, typo ? "\xe2\x80\x9c" : "\"", typo ? 3 : 1);
                cat_str(v->p[k].suf, sizeof v->p[k].suf, typo ? "\xe2\x80\x9d" : "\"");
                i = k;
            }
            break;
        case 4:
            if ((last == '.' || last == '?' || last == '!') && i + 1 < n)
                cat_str(it->suf, sizeof it->suf, " ");
            break;
        case 5:
            if (last == ',' && i + 1 < n && rng_chance(&g->rng, 0.6)) {
                it->suf[sl - 1] = '\0';
                cat_str(it->suf, sizeof it->suf, rng_chance(&g->rng, 0.5) ? " --" : " -");
            }
            break;
        case 6: {
            char *q = strchr(it->core, '\'');
            if (q) {
                char tmp[sizeof it->core];
                set_str(tmp, sizeof tmp, it->core, (size_t)(q - it->core));
                cat_str(tmp, sizeof tmp, "\xe2\x80\x99");
                cat_str(tmp, sizeof tmp, q + 1);
                set_str(it->core, sizeof it->core, tmp, strlen(tmp));
            }
            break;
        }
        default: break;
        }
    }
    if (var == 7 && n > 0) {
        size_t s = (size_t)rng_below(&g->rng, n);
        for (size_t k = 0; k + 1 < n; k++) {
            item_t *it = &v->p[(s + k) % (n - 1)];
            if (!it->suf[0] && it->core[0]) {
                cat_str(it->suf, sizeof it->suf, ",");
                return;
            }
        }
        cat_str(v->p[n - 1].suf, sizeof v->p[n - 1].suf, "!");
    }
}

/* A wrap width 8-30 columns away from w, within 40..100. */
static uint32_t en_other_width(gen_t *g, uint32_t w) {
    uint32_t d = 8 + (uint32_t)rng_below(&g->rng, 23);
    int up = rng_chance(&g->rng, 0.5);
    if (up && w + d > 100) up = 0;
    if (!up && w < 40 + d) up = 1;
    uint32_t nw = up ? w + d : w - d;
    return nw < 40 ? 40 : nw > 100 ? 100 : nw;
}

/* 1 if the flat texts s and t, wrapped at widths ws and wt, give the same
 * bytes. */
static int en_same_wrap(en_t *e, const char *s, size_t n, uint32_t ws, uint32_t wt) {
    e->ra.len = 0;
    e->rb.len = 0;
    en_wrap(&e->ra, s, n, ws, "", "");
    en_wrap(&e->rb, s, n, wt, "", "");
    return e->ra.len == e->rb.len && memcmp(e->ra.p, e->rb.p, e->ra.len) == 0;
}

/* 1 if e->ib renders to the same text as before[0..n-1]. */
static int en_unchanged(en_t *e, const char *before, size_t n) {
    en_render(&e->ib, &e->rb);
    return e->rb.len == n && memcmp(e->rb.p, before, n) == 0;
}

/* Writes a near-copy of the flat text src[0..n-1], wrapped at *width, into
 * out (flat) and sets *width to the copy's wrap width and *jac to the
 * Jaccard of the shingles.  Returns the kind (EK_*). */
static unsigned make_near_en(gen_t *g, const char *src, size_t n, buf_t *out, uint32_t *width,
                             double *jac) {
    en_t *e = &g->en;
    int wrapped = e->layout == LAYOUT_WRAPPED;
    double u = rng_unit(&g->rng);
    unsigned kind;
    if (wrapped)
        kind = u < 0.35   ? EK_EDIT
               : u < 0.47 ? EK_CASE
               : u < 0.60 ? EK_PUNCT
               : u < 0.75 ? EK_REWRAP
                          : EK_MULTI;
    else
        kind = u < 0.40 ? EK_EDIT : u < 0.55 ? EK_CASE : u < 0.70 ? EK_PUNCT : EK_MULTI;
    int ed = kind == EK_EDIT || kind == EK_MULTI, cs = kind == EK_CASE, pu = kind == EK_PUNCT;
    int rw = kind == EK_REWRAP;
    if (kind == EK_MULTI) {
        cs = rng_chance(&g->rng, 0.6);
        pu = rng_chance(&g->rng, 0.6);
        rw = wrapped && rng_chance(&g->rng, 0.5);
        if (!cs && !pu && !rw) {
            if (rng_chance(&g->rng, 0.5))
                cs = 1;
            else
                pu = 1;
        }
    }

    size_t na = en_tokens(src, n, &e->ta, &e->capta);
    na = en_shingles(e->ta, na);
    en_parse(src, n, &e->ia);
    itemv_copy(&e->ib, &e->ia);
    if (ed) en_edit(g, na, 0.5 + 0.45 * rng_unit(&g->rng));
    if (cs) {
        en_render(&e->ib, &e->before);
        en_case(g, &e->ib, (unsigned)rng_below(&g->rng, 5));
        if (en_unchanged(e, e->before.p, e->before.len)) en_case(g, &e->ib, 1);
        if (en_unchanged(e, e->before.p, e->before.len)) en_case(g, &e->ib, 0);
    }
    if (pu) {
        en_render(&e->ib, &e->before);
        unsigned times = 1 + (unsigned)rng_below(&g->rng, 2);
        for (unsigned t = 0; t < times; t++) en_punct(g, &e->ib, (unsigned)rng_below(&g->rng, 7));
        if (en_unchanged(e, e->before.p, e->before.len)) en_punct(g, &e->ib, 7);
    }
    en_render(&e->ib, out);
    if (rw) {
        uint32_t nw = *width;
        for (int t = 0; t < 4 && nw == *width; t++) {
            nw = en_other_width(g, *width);
            if (en_same_wrap(e, out->p, out->len, *width, nw)) nw = *width;
        }
        if (nw == *width && en_same_wrap(e, out->p, out->len, *width, 40) == 0) nw = 40;
        if (nw == *width) {
            /* too short to wrap differently: change punctuation instead */
            en_punct(g, &e->ib, 7);
            en_render(&e->ib, out);
            if (kind == EK_REWRAP) kind = EK_PUNCT;
        }
        *width = nw;
    }
    *jac = en_jaccard_text(e, na, out->p, out->len);
    return kind;
}

/* A fresh paragraph's flat text into out. */
static void en_fresh(gen_t *g, buf_t *out) {
    en_t *e = &g->en;
    itemv_t *v = &e->ic;
    v->len = 0;
    if (e->layout == LAYOUT_WRAPPED) {
        size_t ns = cum_pick(&g->rng, e->psent_cum, 21);
        for (size_t s = 0; s < ns || v->len < 8; s++) en_sentence(g, v, en_sent_len(g));
        en_render(v, out);
        return;
    }
    /* lines: 40-120 characters */
    size_t want = 40 + (size_t)rng_below(&g->rng, 81), len = 0;
    while (len + 10 < want || len < 40) {
        size_t k = en_sent_len(g), room = (want - len) / 6 + 1;
        if (k > room) k = room < 3 ? 3 : room;
        en_sentence(g, v, k);
        en_render(v, out);
        len = out->len;
    }
    while (len > 120 && v->len > 1) {
        v->len--;
        item_t *it = &v->p[v->len - 1];
        set_str(it->suf, sizeof it->suf, ".", 1);
        en_render(v, out);
        len = out->len;
    }
}

/* k capitalised words. */
static void en_title_words(gen_t *g, buf_t *out, size_t k) {
    for (size_t i = 0; i < k; i++) {
        const char *w = en_word(g);
        if (i) buf_putc(out, ' ');
        buf_putc(out, upper_c(w[0]));
        buf_puts(out, w + 1);
    }
}

static void en_lower_word(gen_t *g, buf_t *out) {
    for (const char *w = en_word(g); *w; w++) buf_putc(out, lower_c(*w));
}

/* An indented code block of 2-5 lines; returns the number of lines. */
static uint32_t en_code(gen_t *g, buf_t *out) {
    uint32_t n = 2 + (uint32_t)rng_below(&g->rng, 4);
    char num[24];
    for (uint32_t i = 0; i < n; i++) {
        buf_puts(out, "    ");
        switch (rng_below(&g->rng, 4)) {
        case 0:
            buf_puts(out, "$ ");
            en_lower_word(g, out);
            buf_puts(out, " --");
            en_lower_word(g, out);
            buf_putc(out, ' ');
            en_lower_word(g, out);
            break;
        case 1:
            en_lower_word(g, out);
            buf_puts(out, " = ");
            en_lower_word(g, out);
            buf_putc(out, '(');
            en_lower_word(g, out);
            snprintf(num, sizeof num, ", %u)", (unsigned)rng_below(&g->rng, 1000));
            buf_puts(out, num);
            break;
        case 2:
            en_lower_word(g, out);
            buf_putc(out, '.');
            en_lower_word(g, out);
            buf_putc(out, '(');
            en_lower_word(g, out);
            buf_putc(out, ')');
            break;
        default:
            buf_puts(out, "# ");
            en_lower_word(g, out);
            buf_putc(out, ' ');
            en_lower_word(g, out);
            buf_putc(out, ' ');
            en_lower_word(g, out);
            break;
        }
        buf_putc(out, '\n');
    }
    return n;
}

/* A list of 2-6 items of one sentence each, wrapped at width; returns the
 * number of lines. */
static uint32_t en_list(gen_t *g, buf_t *out, uint32_t width) {
    en_t *e = &g->en;
    unsigned n = 2 + (unsigned)rng_below(&g->rng, 5), style = (unsigned)rng_below(&g->rng, 3);
    uint32_t lines = 0;
    char mark[16];
    for (unsigned i = 0; i < n; i++) {
        e->ic.len = 0;
        en_sentence(g, &e->ic, 3 + (size_t)rng_below(&g->rng, 13));
        en_render(&e->ic, &e->rb);
        if (style == 2)
            snprintf(mark, sizeof mark, "%u. ", i + 1);
        else
            snprintf(mark, sizeof mark, "%c ", style ? '*' : '-');
        lines += en_wrap(out, e->rb.p, e->rb.len, width, mark, style == 2 ? "   " : "  ");
    }
    return lines;
}

static void en_add_para(en_t *e, const char *s, size_t n, uint32_t width, uint32_t line,
                        size_t foff) {
    if (e->nep == e->capep) {
        e->capep = e->capep ? e->capep * 2 : 256;
        e->ep = xrealloc(e->ep, e->capep * sizeof *e->ep);
    }
    e->ep[e->nep].off = e->flat.len;
    e->ep[e->nep].len = (uint32_t)n;
    e->ep[e->nep].width = width;
    e->ep[e->nep].line = line;
    e->ep[e->nep].foff = foff;
    e->nep++;
    buf_put(&e->flat, s, n);
}

/* Offsets in out[0..on-1], which en_wrap(out, flat, n, width, "", "") wrote,
 * of the flat positions pos[0..k-1] (ascending) into res: en_wrap only turns
 * a run of spaces into one '\n'. */
static void wrap_map(const char *flat, size_t n, const char *out, size_t on, const size_t *pos,
                     size_t *res, size_t k) {
    size_t i = 0, o = 0, q = 0;
    while (i < n && o < on) {
        while (q < k && pos[q] <= i) res[q++] = o;
        if (flat[i] == out[o]) {
            i++, o++;
        } else if (out[o] == '\n' && flat[i] == ' ') {
            while (i < n && flat[i] == ' ') i++;
            o++;
        } else {
            die("internal error: wrapped text does not match its source");
        }
    }
    while (q < k) res[q++] = o;
}

/* The file span (offset, length) of flat[a..b-1], a paragraph written at
 * file offset foff wrapped at width. */
static void en_file_span(gen_t *g, const char *flat, size_t n, uint32_t width, uint64_t foff,
                         size_t a, size_t b, uint64_t *off, uint64_t *len) {
    size_t pos[2] = {a, b}, res[2];
    g->pwrap.len = 0;
    en_wrap(&g->pwrap, flat, n, width, "", "");
    wrap_map(flat, n, g->pwrap.p, g->pwrap.len, pos, res, 2);
    *off = foff + res[0];
    *len = res[1] - res[0];
}

/* A copy of a random earlier paragraph's flat text into out, with its
 * document, file offset and wrap width. */
static int pick_src_en(gen_t *g, uint32_t doc, buf_t *out, uint32_t *sdoc, uint64_t *soff,
                       uint32_t *swidth) {
    en_t *e = &g->en;
    out->len = 0;
    if (e->nep > 0 && (g->npool == 0 || rng_chance(&g->rng, 0.3))) {
        const enpara_t *pp = &e->ep[rng_below(&g->rng, e->nep)];
        buf_put(out, e->flat.p + pp->off, pp->len);
        *sdoc = doc;
        *soff = pp->foff;
        *swidth = pp->width;
    } else if (g->npool > 0) {
        const src_t *sp = &g->pool[rng_below(&g->rng, g->npool)];
        buf_put(out, sp->text, sp->len);
        *sdoc = sp->doc;
        *soff = sp->off;
        *swidth = sp->width;
    } else {
        return 0;
    }
    return 1;
}

/* s[0..n-1] with mutation m (1 case, 2 punct, 3 one word of the middle
 * half substituted) into out; returns its name, "none" when it changed
 * nothing. */
static const char *mutate_en(gen_t *g, unsigned m, const char *s, size_t n, buf_t *out) {
    static const char *const names[4] = {"none", "case", "punct", "edit"};
    itemv_t *v = &g->en.ib;
    out->len = 0;
    if (m == 0) {
        buf_put(out, s, n);
        return "none";
    }
    en_parse(s, n, v);
    if (m == 1) {
        en_case(g, v, (unsigned)rng_below(&g->rng, 5));
    } else if (m == 2) {
        en_punct(g, v, (unsigned)rng_below(&g->rng, 8));
    } else {
        for (int tries = 0; tries < 16 && v->len > 0; tries++) {
            size_t i = v->len / 4 + (size_t)rng_below(&g->rng, v->len / 2 + 1);
            item_t *it = &v->p[i < v->len ? i : v->len - 1];
            const char *w = en_word(g);
            if (!it->core[0] || eq_nocase(w, it->core)) continue;
            int cap = it->core[0] >= 'A' && it->core[0] <= 'Z';
            set_str(it->core, sizeof it->core, w, strlen(w));
            if (cap) it->core[0] = upper_c(it->core[0]);
            break;
        }
    }
    en_render(v, out);
    if (out->len == n && memcmp(out->p, s, n) == 0) return "none";
    return names[m];
}

/* A run of a random earlier paragraph, mutated, into g->pm1, its source
 * span into *sdoc, *soff, *slen; NULL if the paragraph was too short.  An
 * edited run is 330-400 characters, so that one substituted word (5 of its
 * token 5-shingles) leaves a token-shingle Jaccard of about 0.8 or more. */
static const char *run_en(gen_t *g, uint32_t doc, uint32_t *sdoc, uint64_t *soff, uint64_t *slen) {
    unsigned m = pick_mut(g);
    size_t want = m == 3 ? 330 + (size_t)rng_below(&g->rng, 71)
                         : P_MIN_NORM + (size_t)rng_below(&g->rng, P_MAX_WANT - P_MIN_NORM + 1);
    size_t rs, re;
    uint32_t sw;
    for (unsigned t = 0; t < 8; t++) /* an edit wants a long paragraph: a few tries */
        if (!pick_src_en(g, doc, &g->ps1, sdoc, soff, &sw) || m != 3 ||
            norm_len(g, g->ps1.p, g->ps1.len) >= want)
            break;
    if (g->ps1.len == 0) return NULL;
    size_t mc = cuts(g, g->ps1.p, g->ps1.len, 1);
    if (!pick_run(g, g->ps1.p, mc, want, &rs, &re)) return NULL;
    en_file_span(g, g->ps1.p, g->ps1.len, sw, *soff, rs, re, soff, slen);
    if (m == 3 && norm_len(g, g->ps1.p + rs, re - rs) < 270)
        m = 2; /* the paragraph ended first: too short for an edit, punct instead */
    return mutate_en(g, m, g->ps1.p + rs, re - rs, &g->pm1);
}

/* Writes the flat text g->pd as a body paragraph begun on line `line`
 * (wrapped at width), registers it and maps the flat positions pos[0..k-1]
 * to file offsets in res. */
static void put_para_en(gen_t *g, doc_t *d, uint32_t line, uint32_t width, const size_t *pos,
                        size_t *res, size_t k) {
    size_t foff = d->text.len;
    d->line += en_wrap(&d->text, g->pd.p, g->pd.len, width, "", "") - 1;
    wrap_map(g->pd.p, g->pd.len, d->text.p + foff, d->text.len - foff, pos, res, k);
    for (size_t i = 0; i < k; i++) res[i] += foff;
    en_add_para(&g->en, g->pd.p, g->pd.len, width, line, foff);
    g->paragraphs++;
}

/* The English plant_zh: a body paragraph (two for a split) on line `line`,
 * already started, wrapped at width; 0 (nothing written) when the sources
 * drawn were too short. */
static int plant_en(gen_t *g, doc_t *d, uint32_t doc, uint32_t line, uint32_t width) {
    unsigned kind = pick_kind(g);
    uint32_t sd1, sd2, sw1, sw2;
    uint64_t so1, so2, sl1, sl2;
    size_t pos[4], res[4];
    if (kind == PK_SENTENCE) {
        const char *mn = run_en(g, doc, &sd1, &so1, &sl1);
        if (!mn) return 0;
        en_fresh(g, &g->pf);
        size_t nf = cuts(g, g->pf.p, g->pf.len, 1) - 1;
        size_t p = g->pb[nf / 4 + (size_t)rng_below(&g->rng, nf / 2 + 1)];
        g->pd.len = 0;
        buf_put(&g->pd, g->pf.p, p);
        if (p > 0 && g->pf.p[p - 1] != ' ') buf_putc(&g->pd, ' ');
        pos[0] = g->pd.len;
        buf_put(&g->pd, g->pm1.p, g->pm1.len);
        pos[1] = g->pd.len;
        if (p < g->pf.len) {
            buf_putc(&g->pd, ' ');
            buf_put(&g->pd, g->pf.p + p, g->pf.len - p);
        }
        put_para_en(g, d, line, width, pos, res, 2);
        ptruth_row(g, PK_SENTENCE, mn, sd1, so1, sl1, doc, res[0], res[1] - res[0]);
        return 1;
    }
    unsigned m = pick_mut(g);
    if (m == 3) m = 2; /* a word edit needs a long passage; whole paragraphs are often short */
    unsigned t;
    size_t need = kind == PK_MERGE ? P_MIN_NORM : 2 * P_MIN_NORM;
    for (t = 0; t < 8; t++) /* a source long enough, in a few tries */
        if (!pick_src_en(g, doc, &g->ps1, &sd1, &so1, &sw1) ||
            norm_len(g, g->ps1.p, g->ps1.len) >= need)
            break;
    if (t == 8 || g->ps1.len == 0) return 0;
    if (kind == PK_MERGE) {
        for (t = 0; t < 8; t++)
            if (!pick_src_en(g, doc, &g->ps2, &sd2, &so2, &sw2) ||
                norm_len(g, g->ps2.p, g->ps2.len) >= need)
                break;
        if (t == 8 || g->ps2.len == 0 || (sd1 == sd2 && so1 == so2)) return 0;
        const char *mn1 = mutate_en(g, m, g->ps1.p, g->ps1.len, &g->pm1);
        const char *mn2 = mutate_en(g, m, g->ps2.p, g->ps2.len, &g->pm2);
        g->pd.len = 0;
        pos[0] = 0;
        buf_put(&g->pd, g->pm1.p, g->pm1.len);
        pos[1] = g->pd.len;
        buf_putc(&g->pd, ' ');
        pos[2] = g->pd.len;
        buf_put(&g->pd, g->pm2.p, g->pm2.len);
        pos[3] = g->pd.len;
        put_para_en(g, d, line, width, pos, res, 4);
        en_file_span(g, g->ps1.p, g->ps1.len, sw1, so1, 0, g->ps1.len, &so1, &sl1);
        en_file_span(g, g->ps2.p, g->ps2.len, sw2, so2, 0, g->ps2.len, &so2, &sl2);
        ptruth_row(g, PK_MERGE, mn1, sd1, so1, sl1, doc, res[0], res[1] - res[0]);
        ptruth_row(g, PK_MERGE, mn2, sd2, so2, sl2, doc, res[2], res[3] - res[2]);
        return 1;
    }
    size_t mc = cuts(g, g->ps1.p, g->ps1.len, 1);
    size_t k = pick_split(g, g->ps1.p, g->ps1.len, mc);
    if (!k) return 0;
    size_t p = g->pb[k], e1 = p;
    trim_end(g->ps1.p, 0, &e1);
    const char *mn1 = mutate_en(g, m, g->ps1.p, e1, &g->pm1);
    const char *mn2 = mutate_en(g, m, g->ps1.p + p, g->ps1.len - p, &g->pm2);
    uint64_t a1, l1, a2, l2;
    en_file_span(g, g->ps1.p, g->ps1.len, sw1, so1, 0, e1, &a1, &l1);
    en_file_span(g, g->ps1.p, g->ps1.len, sw1, so1, p, g->ps1.len, &a2, &l2);
    g->pd.len = 0;
    buf_put(&g->pd, g->pm1.p, g->pm1.len);
    pos[0] = 0;
    pos[1] = g->pd.len;
    put_para_en(g, d, line, width, pos, res, 2);
    ptruth_row(g, PK_SPLIT, mn1, sd1, a1, l1, doc, res[0], res[1] - res[0]);
    uint32_t line2 = doc_line(d);
    g->pd.len = 0;
    buf_put(&g->pd, g->pm2.p, g->pm2.len);
    pos[1] = g->pd.len;
    put_para_en(g, d, line2, width, pos, res, 2);
    ptruth_row(g, PK_SPLIT, mn2, sd1, a2, l2, doc, res[0], res[1] - res[0]);
    return 1;
}

/* The body of an English long-line document: one line of fresh paragraphs
 * joined by spaces with runs of earlier paragraphs planted in it. */
static void long_line_en(gen_t *g, doc_t *d, uint32_t doc, size_t want) {
    doc_line(d);
    size_t start = d->text.len;
    while (d->text.len < want) {
        uint32_t sd;
        uint64_t so, sl;
        const char *mn;
        if (d->text.len > start) buf_putc(&d->text, ' ');
        if (g->npool > 0 && rng_chance(&g->rng, 0.05) &&
            (mn = run_en(g, doc, &sd, &so, &sl)) != NULL) {
            ptruth_row(g, PK_LONGLINE, mn, sd, so, sl, doc, d->text.len, g->pm1.len);
            buf_put(&d->text, g->pm1.p, g->pm1.len);
        } else {
            en_fresh(g, &g->pf);
            buf_put(&d->text, g->pf.p, g->pf.len);
        }
    }
    buf_putc(&d->text, '\n');
    g->paragraphs++;
}

/* Generates English document `doc` of about `want` bytes into d->text. */
static void gen_doc_en(gen_t *g, uint32_t doc, size_t want, int longline, doc_t *d, FILE *truth) {
    en_t *e = &g->en;
    int wrapped = e->layout == LAYOUT_WRAPPED;
    uint32_t width = 0;
    if (wrapped) width = rng_chance(&g->rng, 0.5) ? 72 : 60 + (uint32_t)rng_below(&g->rng, 21);
    d->text.len = 0;
    d->line = 0;
    d->blank = wrapped;
    e->nep = 0;
    e->flat.len = 0;

    if (wrapped) {
        doc_line(d);
        if (rng_chance(&g->rng, 0.3)) { /* Setext heading: title, then ==== */
            size_t t0 = d->text.len;
            en_title_words(g, &d->text, 2 + (size_t)rng_below(&g->rng, 5));
            size_t tl = d->text.len - t0;
            buf_putc(&d->text, '\n');
            for (size_t i = 0; i < tl; i++) buf_putc(&d->text, '=');
            d->line++;
        } else {
            buf_puts(&d->text, "# ");
            en_title_words(g, &d->text, 2 + (size_t)rng_below(&g->rng, 5));
        }
        buf_putc(&d->text, '\n');
    } else if (rng_chance(&g->rng, 0.5)) {
        doc_line(d);
        en_title_words(g, &d->text, 2 + (size_t)rng_below(&g->rng, 5));
        buf_putc(&d->text, '\n');
    }

    if (longline) long_line_en(g, d, doc, want);
    while (!longline && d->text.len < want) {
        if (wrapped) {
            double v = rng_unit(&g->rng);
            if (v < 0.06) {
                doc_line(d);
                buf_puts(&d->text, rng_chance(&g->rng, 0.7) ? "## " : "### ");
                en_title_words(g, &d->text, 1 + (size_t)rng_below(&g->rng, 5));
                buf_putc(&d->text, '\n');
                continue;
            }
            if (v < 0.12) {
                doc_line(d);
                d->line += en_list(g, &d->text, width) - 1;
                continue;
            }
            if (v < 0.16) {
                doc_line(d);
                d->line += en_code(g, &d->text) - 1;
                continue;
            }
        }
        uint32_t line = doc_line(d), pw = width;
        if (g->prate > 0 && (e->nep > 0 || g->npool > 0) && rng_chance(&g->rng, g->prate) &&
            plant_en(g, d, doc, line, width))
            continue;
        double u = rng_unit(&g->rng);
        int have_src = e->nep > 0 || g->npool > 0;
        if (have_src && u < g->dup_rate + g->exact_rate) {
            uint32_t sdoc, sline;
            e->src.len = 0;
            if (e->nep > 0 && (g->npool == 0 || rng_chance(&g->rng, 0.3))) {
                const enpara_t *pp = &e->ep[rng_below(&g->rng, e->nep)];
                buf_put(&e->src, e->flat.p + pp->off, pp->len);
                pw = pp->width;
                sdoc = doc;
                sline = pp->line;
            } else {
                const src_t *sp = &g->pool[rng_below(&g->rng, g->npool)];
                buf_put(&e->src, sp->text, sp->len);
                pw = sp->width;
                sdoc = sp->doc;
                sline = sp->line;
            }
            const char *kname = "exact";
            double jac = 1.0;
            e->para.len = 0;
            if (u < g->dup_rate) {
                unsigned k = make_near_en(g, e->src.p, e->src.len, &e->para, &pw, &jac);
                kname = EN_KIND[k];
                e->kinds[k]++;
                g->near++;
            } else {
                buf_put(&e->para, e->src.p, e->src.len);
                g->exact++;
            }
            if (fprintf(truth, "docs/%06u.txt\t%u\tdocs/%06u.txt\t%u\t%s\t%.4f\n", sdoc, sline, doc,
                        line, kname, jac) < 0)
                die("cannot write truth.tsv: %s", strerror(errno));
        } else {
            en_fresh(g, &e->para);
        }
        size_t foff = d->text.len;
        d->line += en_wrap(&d->text, e->para.p, e->para.len, pw, "", "") - 1;
        en_add_para(e, e->para.p, e->para.len, pw, line, foff);
        g->paragraphs++;
    }

    for (size_t i = 0; i < e->nep; i++)
        if (rng_chance(&g->rng, 0.25))
            pool_insert(g, e->flat.p + e->ep[i].off, e->ep[i].len, doc, e->ep[i].line,
                        e->ep[i].width, e->ep[i].foff);
}

/* ------------------------------------------------------------------------ */
/* Command line                                                             */
/* ------------------------------------------------------------------------ */

static void usage(FILE *f) {
    fputs("usage: gen_corpus --seed N --size-mb M [--lang zh|en] [--layout wrapped|lines]\n"
          "                  [--dup-rate F] [--exact-rate F] [--passages F] [--seeds DIR]\n"
          "                  [--force] --out DIR\n"
          "  --seed N         PRNG seed (0..2^64-1); same seed and size, same bytes\n"
          "  --size-mb M      total size of DIR/docs in MB of 1,000,000 bytes (1..50000)\n"
          "  --lang L         zh (default): Chinese from the seed corpus;\n"
          "                   en: English from compiled-in statistics (bench/en_vocab.inc)\n"
          "  --layout L       English only: wrapped (default; blank-line separated blocks\n"
          "                   hard-wrapped at ~72 columns, Markdown-like) or lines (one\n"
          "                   paragraph per line, 40-120 characters)\n"
          "  --dup-rate F     fraction of body paragraphs that are near-copies (default 0.10)\n"
          "  --exact-rate F   fraction of body paragraphs that are exact copies (default 0.02)\n"
          "  --passages F     fraction of body paragraphs with a planted passage (a run of\n"
          "                   another paragraph inside fresh text, two paragraphs merged,\n"
          "                   one split), plus long-line documents; listed in\n"
          "                   DIR/passages.tsv (default 0: none, no file)\n"
          "  --seeds DIR      zh only: seed corpus, *.txt one paragraph per line\n"
          "                   (default " ND_DEFAULT_SEEDS_DIR ")\n"
          "  --out DIR        output: DIR/docs/NNNNNN.txt, DIR/truth.tsv, DIR/boilerplate.txt\n"
          "  --force          write into a non-empty DIR (removes files of an earlier run)\n",
          f);
}

static ND_NORETURN ND_PRINTF(1, 2) void usage_error(const char *fmt, ...) {
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    exit(1);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        usage_error("%s: '%s' is not a number from %llu to %llu", opt, s, (unsigned long long)lo,
                    (unsigned long long)hi);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        usage_error("%s: '%s' is not a number from %llu to %llu", opt, s, (unsigned long long)lo,
                    (unsigned long long)hi);
    return (uint64_t)v;
}

static double parse_rate(const char *opt, const char *s, double hi) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || errno || *end != '\0' || !(v >= 0.0 && v <= hi))
        usage_error("%s: '%s' is not a number from 0 to %g", opt, s, hi);
    return v;
}

int main(int argc, char **argv) {
    const char *seed_s = NULL, *size_s = NULL, *dup_s = NULL, *exact_s = NULL;
    const char *seeds = ND_DEFAULT_SEEDS_DIR, *out = NULL;
    const char *lang_s = NULL, *layout_s = NULL, *passages_s = NULL;
    int force = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--force") == 0) {
            force = 1;
            continue;
        }
        static const char *const opts[] = {"--seed",       "--size-mb", "--dup-rate",
                                           "--exact-rate", "--seeds",   "--out",
                                           "--lang",       "--layout",  "--passages"};
        const char **dst[] = {&seed_s, &size_s, &dup_s,    &exact_s,   &seeds,
                              &out,    &lang_s, &layout_s, &passages_s};
        size_t k;
        const char *val = NULL;
        for (k = 0; k < 9; k++) {
            size_t ol = strlen(opts[k]);
            if (strncmp(a, opts[k], ol) != 0) continue;
            if (a[ol] == '=') {
                val = a + ol + 1;
                break;
            }
            if (a[ol] == '\0') {
                if (i + 1 >= argc) usage_error("%s needs a value", opts[k]);
                val = argv[++i];
                break;
            }
        }
        if (k == 9) usage_error("unknown argument '%s'", a);
        *dst[k] = val;
    }
    if (!seed_s) usage_error("--seed is required");
    if (!size_s) usage_error("--size-mb is required");
    if (!out || !*out) usage_error("--out is required");

    static gen_t g; /* large: pinyin index */
    uint64_t seed = parse_u64("--seed", seed_s, 0, UINT64_MAX);
    uint64_t size_mb = parse_u64("--size-mb", size_s, 1, MAX_SIZE_MB);
    g.dup_rate = dup_s ? parse_rate("--dup-rate", dup_s, 0.9) : 0.10;
    g.exact_rate = exact_s ? parse_rate("--exact-rate", exact_s, 0.5) : 0.02;
    if (g.dup_rate + g.exact_rate > 0.9)
        usage_error("--dup-rate plus --exact-rate must not exceed 0.9");
    g.prate = passages_s ? parse_rate("--passages", passages_s, 0.5) : 0.0;
    if (!*seeds) usage_error("--seeds needs a directory");
    int en = 0, layout = LAYOUT_WRAPPED;
    if (lang_s && strcmp(lang_s, "en") == 0)
        en = 1;
    else if (lang_s && strcmp(lang_s, "zh") != 0)
        usage_error("--lang: '%s' is not zh or en", lang_s);
    if (layout_s && !en) usage_error("--layout needs --lang en");
    if (layout_s && strcmp(layout_s, "lines") == 0)
        layout = LAYOUT_LINES;
    else if (layout_s && strcmp(layout_s, "wrapped") != 0)
        usage_error("--layout: '%s' is not wrapped or lines", layout_s);

    rng_seed(&g.rng, seed);
    if (en) {
        en_init(&g.en, layout);
    } else {
        g.s2t = opencc_open("s2t.json");
        if (g.s2t == (opencc_t)-1) die("cannot open OpenCC config 's2t.json': %s", opencc_error());
        g.t2s = opencc_open("t2s.json");
        if (g.t2s == (opencc_t)-1) die("cannot open OpenCC config 't2s.json': %s", opencc_error());

        pool_t raw = {0};
        load_seeds(seeds, &raw);
        build_pools(&g, &raw);
        free(raw.c);
        free(raw.arena.p);
        build_pinyin(&g);
    }
    g.pool = xrealloc(NULL, POOL_CAP * sizeof *g.pool);

    prepare_out(out, force);

    buf_t path = {0};
    buf_puts(&path, out);
    buf_puts(&path, "/truth.tsv");
    buf_putc(&path, '\0');
    FILE *truth = fopen(path.p, "w");
    if (!truth) die("cannot open '%s': %s", path.p, strerror(errno));
    static char tbuf[1 << 20];
    setvbuf(truth, tbuf, _IOFBF, sizeof tbuf);
    fputs("doc_a\tline_a\tdoc_b\tline_b\tkind\tjaccard_estimate\n", truth);
    static char pbuf[1 << 20];
    if (g.prate > 0) {
        path.len = 0;
        buf_puts(&path, out);
        buf_puts(&path, "/passages.tsv");
        buf_putc(&path, '\0');
        if (!(g.ptruth = fopen(path.p, "w"))) die("cannot open '%s': %s", path.p, strerror(errno));
        setvbuf(g.ptruth, pbuf, _IOFBF, sizeof pbuf);
        fputs("kind\tmutation\tdoc_a\toffset_a\tlength_a\tdoc_b\toffset_b\tlength_b\n", g.ptruth);
    }

    uint64_t target = size_mb * MB_BYTES, total = 0;
    uint32_t ndocs = 0;
    doc_t d = {0};
    char name[64];
    while (total < target) {
        if (ndocs >= MAX_DOCS) die("too many documents (limit %u)", MAX_DOCS);
        unsigned e = (unsigned)rng_below(&g.rng, 7);
        size_t want = ((size_t)2048 << e) + (size_t)rng_below(&g.rng, (uint64_t)2048 << e);
        int longline = 0;
        if (g.prate > 0 && (ndocs == 8 || rng_chance(&g.rng, 0.004))) {
            longline = 1; /* one line of 1-3 MB */
            want = 1000000 + (size_t)rng_below(&g.rng, 2000001);
            g.plong++;
        }
        if (want > target - total) want = (size_t)(target - total);
        if (en)
            gen_doc_en(&g, ndocs, want, longline, &d, truth);
        else
            gen_doc(&g, ndocs, want, longline, &d, truth);
        int w = snprintf(name, sizeof name, "/docs/%06u.txt", ndocs);
        if (w < 0 || (size_t)w >= sizeof name) die("document name too long");
        path.len = 0;
        buf_puts(&path, out);
        buf_puts(&path, name);
        buf_putc(&path, '\0');
        write_file(path.p, d.text.p, d.text.len);
        total += d.text.len;
        ndocs++;
    }
    if (fflush(truth) != 0 || ferror(truth) || fclose(truth) != 0)
        die("cannot write '%s/truth.tsv': %s", out, strerror(errno));
    if (g.ptruth && (fflush(g.ptruth) != 0 || ferror(g.ptruth) || fclose(g.ptruth) != 0))
        die("cannot write '%s/passages.tsv': %s", out, strerror(errno));

    buf_t bp = {0}; /* English documents have no boilerplate: an empty file */
    for (size_t s = 0; s < (en ? 0 : N_SITES); s++)
        for (size_t i = 0; i < 8; i++)
            if (SITES[s][i]) {
                buf_puts(&bp, SITES[s][i]);
                buf_putc(&bp, '\n');
            }
    path.len = 0;
    buf_puts(&path, out);
    buf_puts(&path, "/boilerplate.txt");
    buf_putc(&path, '\0');
    write_file(path.p, bp.p, bp.len);

    fprintf(stderr,
            PROG ": %u documents, %llu bytes, %llu body paragraphs "
                 "(%llu near-copies, %llu exact copies), %llu boilerplate lines\n",
            ndocs, (unsigned long long)total, (unsigned long long)g.paragraphs,
            (unsigned long long)g.near, (unsigned long long)g.exact, (unsigned long long)g.boiler);
    if (g.prate > 0)
        fprintf(stderr,
                PROG ": planted passages (passages.tsv rows): sentence %llu, merge %llu, "
                     "split %llu, longline %llu; %llu long-line documents\n",
                (unsigned long long)g.prows[PK_SENTENCE], (unsigned long long)g.prows[PK_MERGE],
                (unsigned long long)g.prows[PK_SPLIT], (unsigned long long)g.prows[PK_LONGLINE],
                (unsigned long long)g.plong);
    if (en) {
        fprintf(stderr, PROG ": near-copies by kind:");
        for (unsigned k = 0; k < EK_N; k++)
            fprintf(stderr, " %s %llu", EN_KIND[k], (unsigned long long)g.en.kinds[k]);
        fputc('\n', stderr);
        en_free(&g.en);
    } else {
        opencc_close(g.s2t);
        opencc_close(g.t2s);
    }
    for (size_t i = 0; i < g.npool; i++) free(g.pool[i].text);
    free(g.pool);
    buf_t *pbufs[] = {&g.ps1, &g.ps2, &g.pf, &g.pm1, &g.pm2, &g.pd, &g.pwrap};
    for (size_t i = 0; i < sizeof pbufs / sizeof pbufs[0]; i++) free(pbufs[i]->p);
    free(g.pc1.p);
    free(g.pc2.p);
    free(g.pb);
    free(d.text.p);
    free(path.p);
    free(bp.p);
    return 0;
}
