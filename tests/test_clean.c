/*
 * test_clean.c - removal plans, the removal log and the cleaned tree
 * (clean.c): nothing is lost, gzip stays gzip, and the writer refuses what
 * it must refuse.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "neardup.h"
#include "support.h"

#define P1  "这是一个用于测试的段落，内容相当长，足以被聚类算法识别为重复的段落之一。"
#define P2  "The committee approved the annual budget after a long debate on Tuesday evening."
#define P2X "The committee approved the annual budget after a long debate on Tuesday night."

static void make_root(void) { nd_test_tmp_make("clean"); }

static void remove_root(void) { nd_test_tmp_remove(); }

#define root     nd_test_tmp_dir()
#define put_file nd_test_tmp_put

static void put_gz(const char *rel, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    gzFile g = gzopen(path, "wb");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    cr_assert_eq(gzclose(g), Z_OK);
}

static void mk(const char *rel) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    cr_assert_eq(mkdir(path, 0777), 0);
}

/* Reads a file, inflating gzip data. */
static char *slurp(const char *path, size_t *len) {
    size_t n;
    char *raw = nd_test_read_file(path, &n);
    if (n >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        uint8_t *plain;
        size_t pl;
        cr_assert_eq(nd_gunzip((const uint8_t *)raw, n, UINT64_MAX, &plain, &pl), ND_OK);
        free(raw);
        raw = realloc(plain, pl + 1);
        raw[pl] = '\0';
        n = pl;
    }
    *len = n;
    return raw;
}

static nd_report *scan_dir(const char *dir) {
    nd_scanner *sc;
    nd_report *r;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, dir), ND_OK);
    cr_assert_eq(nd_scanner_skipped(sc), 0);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

static nd_report *scan_buffers(const char *const *texts, size_t n) {
    nd_scanner *sc;
    nd_report *r;
    char name[32];
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "doc%zu.txt", i);
        cr_assert_eq(nd_scanner_add_buffer(sc, name, texts[i], strlen(texts[i])), ND_OK);
    }
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

static nd_clean_plan *plan_for(const nd_report *r, nd_keep keep, nd_scope scope) {
    nd_clean_options co;
    nd_clean_plan *p;
    nd_clean_options_default(&co);
    co.keep = keep;
    co.scope = scope;
    cr_assert_eq(nd_clean_plan_new(r, &co, &p), ND_OK);
    return p;
}

/* ------------------------------------------------------------------------ */

static const char *const DOCS[] = {
    "Title zero\n\n" P1 "\n\n" P2 "\n",                                        /* doc0: P1, P2 */
    "Title one\n" P1 "\nUnique line one is about apples and pears.\n" P1 "\n", /* P1 twice */
    "Title two\n" P2X "\n", /* doc2: near-duplicate of P2 */
};

Test(clean_plan, scope_all_keeps_one_paragraph_per_cluster) {
    nd_report *r = scan_buffers(DOCS, 3);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    nd_removal_info ri;
    cr_assert_eq(nd_report_cluster_count(r), 2);
    cr_assert_eq(nd_clean_removal_count(p), 3);
    /* in (document, offset) order */
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    cr_assert_eq(ri.line, 2);
    cr_assert_eq(ri.offset, 10);
    cr_assert_eq(ri.length, strlen(P1) + 1); /* its line terminator goes too */
    cr_assert_float_eq(ri.similarity, 1.0, 1e-12);
    cr_assert_eq(nd_clean_removal(p, 1, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    cr_assert_eq(ri.line, 4);
    cr_assert_eq(nd_clean_removal(p, 2, &ri), ND_OK);
    cr_assert_eq(ri.doc, 2);
    cr_assert_eq(ri.line, 2);
    cr_assert_lt(ri.similarity, 1.0);
    cr_assert_gt(ri.similarity, 0.5);
    nd_paragraph_info kept;
    cr_assert_eq(nd_report_paragraph(r, ri.kept, &kept), ND_OK);
    cr_assert_eq(kept.doc, 0);
    cr_assert_eq(kept.line, 5);
    cr_assert_eq(nd_clean_doc_removed_bytes(p, 0), 0);
    cr_assert_eq(nd_clean_doc_removed_bytes(p, 2), strlen(P2X) + 1);
    nd_clean_plan_free(p);
    nd_report_free(r);
}

Test(clean_plan, scope_within_touches_only_repeats_inside_a_document) {
    nd_report *r = scan_buffers(DOCS, 3);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_WITHIN);
    nd_removal_info ri;
    cr_assert_eq(nd_clean_removal_count(p), 1);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    cr_assert_eq(ri.line, 4);
    nd_paragraph_info kept;
    cr_assert_eq(nd_report_paragraph(r, ri.kept, &kept), ND_OK);
    cr_assert_eq(kept.doc, 1);
    cr_assert_eq(kept.line, 2);
    nd_clean_plan_free(p);
    nd_report_free(r);
}

Test(clean_plan, scope_cross_keeps_repeats_in_the_kept_document) {
    const char *docs[] = {"Head\n" P1 "\n" P1 "\n", "Other\n" P1 "\n"};
    nd_report *r = scan_buffers(docs, 2);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_CROSS);
    nd_removal_info ri;
    cr_assert_eq(nd_clean_removal_count(p), 1);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    nd_clean_plan_free(p);
    nd_report_free(r);
}

Test(clean_plan, keep_longest_prefers_the_longer_member) {
    const char *docs[] = {"Head\n" P2X "\n", "Other\n" P2 "\n"};
    nd_report *r = scan_buffers(docs, 2);
    nd_clean_plan *p = plan_for(r, ND_KEEP_LONGEST, ND_SCOPE_ALL);
    nd_removal_info ri;
    cr_assert_eq(nd_clean_removal_count(p), 1);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 0); /* "evening" is longer than "night" */
    nd_clean_plan_free(p);
    p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    nd_clean_plan_free(p);
    nd_report_free(r);
}

Test(clean_plan, takes_following_blank_lines_only_after_a_blank_line) {
    const char *docs[] = {"A first line that is long enough\n\n" P1 "\n\n\nZ tail line\n",
                          "B first\n" P1 "\n\nY tail line\n"};
    nd_report *r = scan_buffers(docs, 2);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    nd_removal_info ri;
    cr_assert_eq(nd_clean_removal_count(p), 1);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    cr_assert_eq(ri.length, strlen(P1) + 1); /* preceded by "B first": blank kept */
    nd_clean_plan_free(p);
    nd_report_free(r);

    const char *docs2[] = {"B first\n" P1 "\n", "A first line\n\n" P1 "\r\n\r\n \r\nZ\n"};
    r = scan_buffers(docs2, 2);
    p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    cr_assert_eq(nd_clean_removal(p, 0, &ri), ND_OK);
    cr_assert_eq(ri.doc, 1);
    cr_assert_eq(ri.length, strlen(P1) + 7); /* CRLF, blank CRLF, " " CRLF */
    nd_clean_plan_free(p);
    nd_report_free(r);
}

Test(clean_plan, parses_keep_and_scope_names) {
    nd_keep k;
    nd_scope s;
    cr_assert_eq(nd_keep_parse("longest", &k), ND_OK);
    cr_assert_eq(k, ND_KEEP_LONGEST);
    cr_assert_eq(nd_keep_parse("last", &k), ND_ERR_FORMAT);
    cr_assert_eq(nd_scope_parse("within", &s), ND_OK);
    cr_assert_eq(s, ND_SCOPE_WITHIN);
    cr_assert_eq(nd_scope_parse("none", &s), ND_ERR_FORMAT);
    cr_assert_eq(nd_scope_parse(NULL, &s), ND_ERR_INVALID);
}

/* The cleaned tree plus the log rebuild every input exactly. */
Test(clean_tree, cleaned_files_and_log_reconstruct_every_input) {
    char in[128], out[128], logp[128];
    make_root();
    mk("in");
    mk("in/sub");
    const char crlf[] = "Title zero\r\n\r\n" P1 "\r\n\r\n" P2 "\r\nlast line without newline";
    const char bad[] = "Bad \xff\xfe bytes here\n" P1 "\n" P2X "\n";
    put_file("in/a.txt", crlf, sizeof crlf - 1);
    put_file("in/sub/b.txt", DOCS[1], strlen(DOCS[1]));
    put_gz("in/sub/c.txt.gz", DOCS[2]);
    put_file("in/sub/d.txt", bad, sizeof bad - 1);
    put_file("in/z.txt", "nothing to see\n", 15);
    snprintf(in, sizeof in, "%s/in", root);
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(logp, sizeof logp, "%s/removed.jsonl", root);
    nd_report *r = scan_dir(in);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    const char *inputs[] = {in};
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, logp, 0), ND_OK);
    cr_assert_geq(nd_clean_removal_count(p), 4);

    /* rebuild: insert each logged span back at its offset */
    size_t loglen;
    char *log = nd_test_read_file(logp, &loglen);
    for (size_t d = 0; d < nd_report_document_count(r); d++) {
        nd_document_info di;
        char outpath[256];
        size_t olen, ilen;
        cr_assert_eq(nd_report_document(r, d, &di), ND_OK);
        snprintf(outpath, sizeof outpath, "%s/%s", out, di.path + strlen(in) + 1);
        char *cleaned = slurp(outpath, &olen);
        char *orig = slurp(di.path, &ilen);
        char *rebuilt = malloc(ilen + 1);
        size_t w = 0, rpos = 0;
        char *line = log, *next;
        for (; *line; line = next) {
            next = strchr(line, '\n');
            *next = '\0';
            json_object *o = json_tokener_parse(line);
            *next++ = '\n';
            cr_assert_not_null(o);
            json_object *v;
            json_object_object_get_ex(o, "path", &v);
            if (strcmp(json_object_get_string(v), di.path) != 0) {
                json_object_put(o);
                continue;
            }
            json_object_object_get_ex(o, "offset", &v);
            size_t off = (size_t)json_object_get_int64(v);
            json_object_object_get_ex(o, "length", &v);
            size_t len = (size_t)json_object_get_int64(v);
            cr_assert_geq(off, w);
            memcpy(rebuilt + w, cleaned + rpos, off - w);
            rpos += off - w;
            w = off;
            if (json_object_object_get_ex(o, "text", &v)) {
                cr_assert_eq((size_t)json_object_get_string_len(v), len);
                memcpy(rebuilt + w, json_object_get_string(v), len);
            } else {
                cr_assert(json_object_object_get_ex(o, "base64", &v));
                /* decode base64 */
                const char *b = json_object_get_string(v);
                size_t k = 0;
                uint32_t acc = 0;
                int bits = 0;
                for (; *b && *b != '='; b++) {
                    const char *tab =
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                    acc = (acc << 6) | (uint32_t)(strchr(tab, *b) - tab);
                    bits += 6;
                    if (bits >= 8) {
                        bits -= 8;
                        rebuilt[w + k++] = (char)((acc >> bits) & 0xff);
                    }
                }
                cr_assert_eq(k, len);
            }
            w += len;
            json_object_put(o);
        }
        cr_assert_leq(w + (olen - rpos), ilen);
        memcpy(rebuilt + w, cleaned + rpos, olen - rpos);
        w += olen - rpos;
        cr_assert_eq(w, ilen, "%s: rebuilt %zu bytes, input has %zu", di.path, w, ilen);
        cr_assert_eq(memcmp(rebuilt, orig, ilen), 0, "%s differs after rebuilding", di.path);
        free(rebuilt);
        free(orig);
        free(cleaned);
    }
    free(log);

    /* gzip stays gzip; untouched files are byte-identical copies */
    char path[256];
    size_t n1, n2;
    snprintf(path, sizeof path, "%s/sub/c.txt.gz", out);
    char *gz = nd_test_read_file(path, &n1);
    cr_assert(n1 > 2 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
    free(gz);
    snprintf(path, sizeof path, "%s/z.txt", out);
    char *z = nd_test_read_file(path, &n1);
    cr_assert_eq(n1, 15);
    cr_assert_eq(memcmp(z, "nothing to see\n", 15), 0);
    free(z);
    snprintf(path, sizeof path, "%s/a.txt", out);
    char *a = nd_test_read_file(path, &n2);
    cr_assert_str_eq(a, crlf); /* doc a holds the kept copies: unchanged */
    free(a);
    /* no temporary files are left behind */
    snprintf(path, sizeof path, "ls -A '%s/out' '%s/out/sub' | grep -c '^\\.' > /dev/null", root,
             root);
    cr_assert_neq(system(path), 0);

    nd_clean_plan_free(p);
    nd_report_free(r);
    remove_root();
}

/* The tree most tests start from: root/in/a.txt and b.txt (DOCS[0], [1]),
 * scanned and planned (keep first, all scopes); in and out receive root/in
 * and root/out. */
static nd_clean_plan *two_docs(char *in, size_t in_size, char *out, size_t out_size,
                               nd_report **r) {
    make_root();
    mk("in");
    put_file("in/a.txt", DOCS[0], strlen(DOCS[0]));
    put_file("in/b.txt", DOCS[1], strlen(DOCS[1]));
    snprintf(in, in_size, "%s/in", root);
    snprintf(out, out_size, "%s/out", root);
    *r = scan_dir(in);
    return plan_for(*r, ND_KEEP_FIRST, ND_SCOPE_ALL);
}

Test(clean_tree, refuses_unsafe_outputs_and_writes_nothing) {
    char in[128], out[128], inner[128], logp[128], infile[160];
    nd_report *r = NULL;
    nd_clean_plan *p = two_docs(in, sizeof in, out, sizeof out, &r);
    snprintf(inner, sizeof inner, "%s/in/clean", root);
    snprintf(infile, sizeof infile, "%s/in/a.txt", root);
    const char *inputs[] = {in};
    struct stat sb;

    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, inner, NULL, 0), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_INPUT_DIR);
    cr_assert_str_eq(nd_clean_error_path(p), in);
    cr_assert_neq(stat(inner, &sb), 0, "nothing may be created");
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, in, NULL, 1), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_INPUT_DIR);

    /* the log may not replace an input file either */
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, infile, 1), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_INPUT_DIR);

    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 0), ND_OK);
    /* a second run without force refuses, with force overwrites */
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 0), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_EXISTS);
    snprintf(logp, sizeof logp, "%s/out/a.txt", root);
    cr_assert_str_eq(nd_clean_error_path(p), logp);
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 1), ND_OK);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_NONE, "a success clears the failure");
    cr_assert_eq(nd_clean_sys_errno(p), 0);
    /* a system error: the plan keeps the errno and the path */
    char under_file[200];
    snprintf(under_file, sizeof under_file, "%s/a.txt/sub", out);
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, under_file, NULL, 0), ND_ERR_IO);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_IO);
    cr_assert_eq(nd_clean_sys_errno(p), ENOTDIR);
    cr_assert_neq(nd_clean_error_path(p)[0], '\0');
    nd_clean_plan_free(p);
    nd_report_free(r);

    /* an input file given directly cannot be overwritten by the output */
    nd_scanner *sc;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    snprintf(logp, sizeof logp, "%s/out/a.txt", root);
    cr_assert_eq(nd_scanner_add_path(sc, logp), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    const char *inputs2[] = {logp};
    snprintf(out, sizeof out, "%s/out", root);
    cr_assert_eq(nd_clean_write_tree(p, inputs2, 1, out, NULL, 1), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_INPUT_FILE);
    nd_clean_plan_free(p);
    nd_report_free(r);
    remove_root();
}

Test(clean_tree, refuses_two_documents_with_one_output) {
    char d1[128], d2[128], out[128];
    make_root();
    mk("x");
    mk("y");
    put_file("x/a.txt", DOCS[0], strlen(DOCS[0]));
    put_file("y/a.txt", DOCS[1], strlen(DOCS[1]));
    snprintf(d1, sizeof d1, "%s/x", root);
    snprintf(d2, sizeof d2, "%s/y", root);
    snprintf(out, sizeof out, "%s/out", root);
    nd_scanner *sc;
    nd_report *r;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, d1), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, d2), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    const char *inputs[] = {d1, d2};
    cr_assert_eq(nd_clean_write_tree(p, inputs, 2, out, NULL, 0), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_COLLISION);
    nd_clean_plan_free(p);
    nd_report_free(r);
    remove_root();
}

Test(clean_log, is_deterministic_jsonl) {
    nd_report *r = scan_buffers(DOCS, 3);
    nd_clean_plan *p = plan_for(r, ND_KEEP_FIRST, ND_SCOPE_ALL);
    nd_test_buf a = {0}, b = {0};
    cr_assert_eq(nd_clean_write_log(p, nd_test_buf_write, &a), ND_OK);
    cr_assert_eq(nd_clean_write_log(p, nd_test_buf_write, &b), ND_OK);
    cr_assert_str_eq(a.data, b.data);
    const char *first_line_end = strchr(a.data, '\n');
    cr_assert_not_null(first_line_end);
    cr_assert_eq(strncmp(a.data,
                         "{\"path\":\"doc1.txt\",\"line\":2,\"offset\":10,\"length\":109,"
                         "\"text\":\"" P1 "\\n\",\"kept_path\":\"doc0.txt\",\"kept_line\":3,"
                         "\"kept_offset\":12,\"similarity\":1.0000}\n",
                         (size_t)(first_line_end - a.data) + 1),
                 0, "%s", a.data);
    free(a.data);
    free(b.data);
    nd_clean_plan_free(p);
    nd_report_free(r);
}

static void collect_leftover(void *user, const char *path) {
    char *buf = user;
    strncat(buf, path, 511 - strlen(buf));
    strncat(buf, "\n", 511 - strlen(buf));
}

/* A cancelled write leaves nothing: no DIR, no log, no temporary sibling. */
Test(clean_tree, cancelled_write_leaves_nothing) {
    char in[128], out[128], logp[128], seen[512] = "";
    nd_report *r = NULL;
    nd_clean_plan *p = two_docs(in, sizeof in, out, sizeof out, &r);
    snprintf(logp, sizeof logp, "%s/removed.jsonl", root);
    const char *inputs[] = {in};
    struct stat sb;
    nd_clean_cancel(p);
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, logp, 0), ND_ERR_CANCELLED);
    cr_assert_neq(stat(out, &sb), 0);
    cr_assert_neq(stat(logp, &sb), 0);
    cr_assert_eq(nd_clean_leftovers(out, logp, collect_leftover, seen), ND_OK);
    cr_assert_str_eq(seen, "");
    nd_clean_plan_free(p);
    nd_report_free(r);
    remove_root();
}

/* The siblings of a killed run are found, in byte order; others are not. */
Test(clean_tree, leftovers_are_named) {
    char out[128], logp[128], seen[512] = "", want[512];
    make_root();
    mk("out.neardup-tmp.Ab12Cd");
    mk("out.neardup-tmp.toolong1");
    mk("outx.neardup-tmp.Ab12Cd");
    put_file("log.jsonl.neardup-tmp.aaaaaa", "x", 1);
    snprintf(out, sizeof out, "%s/out/", root);
    snprintf(logp, sizeof logp, "%s/log.jsonl", root);
    cr_assert_eq(nd_clean_leftovers(out, logp, collect_leftover, seen), ND_OK);
    snprintf(want, sizeof want, "%s/log.jsonl.neardup-tmp.aaaaaa\n%s/out.neardup-tmp.Ab12Cd\n",
             root, root);
    cr_assert_str_eq(seen, want);
    cr_assert_eq(nd_clean_leftovers(NULL, NULL, NULL, NULL), ND_ERR_INVALID);
    remove_root();
}

/* force replaces a previous cleaned copy, and nothing else. */
Test(clean_tree, force_replaces_only_a_cleaned_copy) {
    char in[128], out[128], extra[160];
    nd_report *r = NULL;
    nd_clean_plan *p = two_docs(in, sizeof in, out, sizeof out, &r);
    const char *inputs[] = {in};
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 0), ND_OK);
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 1), ND_OK);
    put_file("out/mine.txt", "mine\n", 5);
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 1), ND_ERR_INVALID);
    cr_assert_eq(nd_clean_error_kind(p), ND_CLEAN_ERR_FOREIGN);
    snprintf(extra, sizeof extra, "%s/mine.txt", out);
    cr_assert_str_eq(nd_clean_error_path(p), extra);
    size_t n;
    char *mine = nd_test_read_file(extra, &n);
    cr_assert_eq(n, 5);
    free(mine);
    nd_clean_plan_free(p);
    nd_report_free(r);
    remove_root();
}
