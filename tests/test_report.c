/*
 * test_report.c - the report writers: text, jsonl, json, csv and the atomic
 * file output, on small reports built through the public API.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neardup.h"
#include "support.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct membuf {
    char *data;
    size_t len, cap;
    size_t calls;      /* times the sink was called */
    size_t fail_after; /* fail once more than this many bytes came; 0 = never */
    size_t calls_after_failure;
    int failed;
} membuf;

static int mem_write(void *user, const void *buf, size_t len) {
    membuf *m = user;
    if (m->failed) m->calls_after_failure++;
    m->calls++;
    cr_assert_gt(len, 0, "the sink must not be called with 0 bytes");
    if (m->fail_after && m->len + len > m->fail_after) {
        m->failed = 1;
        return ENOSPC;
    }
    if (m->len + len + 1 > m->cap) {
        m->cap = (m->len + len + 1) * 2;
        m->data = realloc(m->data, m->cap);
        cr_assert_not_null(m->data);
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    m->data[m->len] = '\0';
    return 0;
}

/* Renders r in format into a new NUL-terminated string (caller frees). */
static char *render(const nd_report *r, nd_format format, const nd_write_options *wo, size_t *len) {
    membuf m = {0};
    nd_status st = nd_report_write(r, format, wo, mem_write, &m);
    cr_assert_eq(st, ND_OK, "nd_report_write: %s", nd_strerror(st));
    cr_assert_not_null(m.data, "the writer produced nothing");
    if (len) *len = m.len;
    return m.data;
}

typedef struct doc {
    const char *name;
    const char *text;
} doc;

static nd_report *scan_docs(const doc *docs, size_t n, nd_split_mode split) {
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_options_default(&opt);
    opt.split = split;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, docs[i].name, docs[i].text, strlen(docs[i].text)),
                     ND_OK);
    nd_status st = nd_scanner_run(sc, &r);
    cr_assert_eq(st, ND_OK, "nd_scanner_run: %s", nd_strerror(st));
    nd_scanner_free(sc);
    return r;
}

/* Parses one JSON text strictly (UTF-8 validated); NULL-safe caller frees. */
static json_object *parse_json(const char *s, size_t len) {
    json_tokener *tok = json_tokener_new();
    cr_assert_not_null(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, s, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    cr_assert_eq(err, json_tokener_success, "invalid JSON (%s): %.*s", json_tokener_error_desc(err),
                 (int)len, s);
    json_tokener_free(tok);
    cr_assert_not_null(obj);
    return obj;
}

static json_object *member(json_object *obj, const char *key) {
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(obj, key, &v), "no member \"%s\" in %s", key,
              json_object_to_json_string(obj));
    return v;
}

static int64_t int_member(json_object *obj, const char *key) {
    json_object *v = member(obj, key);
    cr_assert(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
    return json_object_get_int64(v);
}

static double double_member(json_object *obj, const char *key) {
    json_object *v = member(obj, key);
    cr_assert(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int),
              "\"%s\" is not a number", key);
    return json_object_get_double(v);
}

static const char *string_member(json_object *obj, const char *key) {
    json_object *v = member(obj, key);
    cr_assert(json_object_is_type(v, json_type_string), "\"%s\" is not a string", key);
    return json_object_get_string(v);
}

/* Splits JSON Lines into parsed objects; returns the count. */
static size_t parse_jsonl(const char *s, size_t len, json_object **out, size_t max) {
    size_t n = 0, i = 0;
    cr_assert(len > 0 && s[len - 1] == '\n', "jsonl must end with a newline");
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        cr_assert_not_null(nl);
        size_t line_len = (size_t)(nl - (s + i));
        cr_assert_lt(n, max);
        out[n++] = parse_json(s + i, line_len);
        i += line_len + 1;
    }
    return n;
}

/* A tiny RFC 4180 reader: fields of all records, row-major, into rows[r][f]
 * (each field a new string).  Accepts LF or CRLF record ends. */
typedef struct csv_table {
    char ***rows;
    size_t *nfields;
    size_t nrows;
} csv_table;

static void csv_parse(const char *s, size_t len, csv_table *t) {
    size_t i = 0;
    memset(t, 0, sizeof *t);
    while (i < len) {
        char **fields = NULL;
        size_t nf = 0;
        for (;;) {
            char *field = malloc(len + 1);
            size_t fl = 0;
            cr_assert_not_null(field);
            if (i < len && s[i] == '"') {
                i++;
                for (;;) {
                    cr_assert_lt(i, len, "unterminated quoted field");
                    if (s[i] == '"') {
                        if (i + 1 < len && s[i + 1] == '"') {
                            field[fl++] = '"';
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field[fl++] = s[i++];
                }
            } else {
                while (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
                    cr_assert_neq(s[i], '"', "quote inside an unquoted field");
                    field[fl++] = s[i++];
                }
            }
            field[fl] = '\0';
            fields = realloc(fields, (nf + 1) * sizeof *fields);
            cr_assert_not_null(fields);
            fields[nf++] = field;
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (i < len && s[i] == '\r') i++;
            cr_assert(i < len && s[i] == '\n', "record does not end with a line end");
            i++;
            break;
        }
        t->rows = realloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
        t->nfields = realloc(t->nfields, (t->nrows + 1) * sizeof *t->nfields);
        cr_assert(t->rows && t->nfields);
        t->rows[t->nrows] = fields;
        t->nfields[t->nrows] = nf;
        t->nrows++;
    }
}

static void csv_free(csv_table *t) {
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t f = 0; f < t->nfields[r]; f++) free(t->rows[r][f]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t->nfields);
}

/* Does text contain `line` as a whole line? */
static int has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return 1;
    }
    return 0;
}

#define assert_line(text, line)                                                                    \
    cr_assert(has_line((text), (line)), "missing line:\n[%s]\nin:\n%s", (line), (text))

/* ------------------------------------------------------------------------ */
/* The tiny corpus                                                            */
/* ------------------------------------------------------------------------ */

/* Paragraphs of 20 distinct four-letter words: 80 normalised characters
 * each, 16 shingles of 5 words.  P2 is P with its last word changed, so
 * Jaccard(P, P2) = 15 / 17 = 0.8824. */
#define P                                                                                          \
    "able acid aged also area army away baby back ball band bank base bath bear beat been beer "   \
    "bell belt"
#define P2                                                                                         \
    "able acid aged also area army away baby back ball band bank base bath bear beat been beer "   \
    "bell zone"
#define Q                                                                                          \
    "best bill bird blow blue boat body bomb bond bone book boom born boss both bowl bulk burn "   \
    "bush busy"
#define R                                                                                          \
    "call calm came camp card care case cash cast cell chat chip city club coal coat code cold "   \
    "come cook"
#define S                                                                                          \
    "cool cope copy core cost crew crop dark data date dawn days dead deal dean dear debt deep "   \
    "deny desk"
#define T                                                                                          \
    "dial diet disc disk does done door dose down draw drew drop drug dual duke dust duty each "   \
    "earn ease"

static const doc tiny[] = {
    {"a.txt", P "\n" Q "\n"},
    {"b.txt", R "\n" P "\n"},
    {"c.txt", P2 "\n"},
    {"d.txt", S "\n" T "\n" S "\n"},
};
#define NTINY (sizeof tiny / sizeof tiny[0])

static nd_report *tiny_report(void) { return scan_docs(tiny, NTINY, ND_SPLIT_LINE); }

/* ------------------------------------------------------------------------ */
/* Formats and options                                                        */
/* ------------------------------------------------------------------------ */

Test(format, parses_the_four_names_and_rejects_others) {
    nd_format f = ND_FORMAT_CSV;
    cr_assert_eq(nd_format_parse("text", &f), ND_OK);
    cr_assert_eq(f, ND_FORMAT_TEXT);
    cr_assert_eq(nd_format_parse("jsonl", &f), ND_OK);
    cr_assert_eq(f, ND_FORMAT_JSONL);
    cr_assert_eq(nd_format_parse("json", &f), ND_OK);
    cr_assert_eq(f, ND_FORMAT_JSON);
    cr_assert_eq(nd_format_parse("csv", &f), ND_OK);
    cr_assert_eq(f, ND_FORMAT_CSV);
    f = ND_FORMAT_JSON;
    cr_assert_eq(nd_format_parse("JSON", &f), ND_ERR_FORMAT);
    cr_assert_eq(nd_format_parse("", &f), ND_ERR_FORMAT);
    cr_assert_eq(nd_format_parse("xml", &f), ND_ERR_FORMAT);
    cr_assert_eq(f, ND_FORMAT_JSON, "out-parameter untouched on failure");
}

Test(format, default_write_options_are_documented_values) {
    nd_write_options wo;
    memset(&wo, 0x55, sizeof wo);
    nd_write_options_default(&wo);
    cr_assert_eq(wo.emit_paragraphs, 0);
    cr_assert_eq(wo.top, 10);
    cr_assert_eq(wo.preview, 40);
}

Test(write, rejects_missing_report_sink_or_unknown_format) {
    nd_report *r = tiny_report();
    membuf m = {0};
    cr_assert_eq(nd_report_write(NULL, ND_FORMAT_TEXT, NULL, mem_write, &m), ND_ERR_INVALID);
    cr_assert_eq(nd_report_write(r, ND_FORMAT_TEXT, NULL, NULL, &m), ND_ERR_INVALID);
    cr_assert_eq(nd_report_write(r, (nd_format)42, NULL, mem_write, &m), ND_ERR_INVALID);
    cr_assert_eq(m.calls, 0);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* jsonl                                                                      */
/* ------------------------------------------------------------------------ */

Test(jsonl, has_summary_documents_clusters_overlaps_in_order) {
    nd_report *r = tiny_report();
    size_t len;
    char *out = render(r, ND_FORMAT_JSONL, NULL, &len);
    json_object *rec[64];
    size_t n = parse_jsonl(out, len, rec, 64);
    size_t ndocs = nd_report_document_count(r), ncl = nd_report_cluster_count(r),
           nov = nd_report_overlap_count(r);
    cr_assert_eq(ndocs, 4);
    cr_assert_eq(ncl, 2);
    cr_assert_eq(nov, 3);
    cr_assert_eq(n, 1 + ndocs + ncl + nov);

    cr_assert_str_eq(string_member(rec[0], "type"), "summary");
    cr_assert_eq(int_member(rec[0], "files"), 4);
    cr_assert_eq(int_member(rec[0], "skipped"), 0);
    cr_assert_eq(int_member(rec[0], "paragraphs"), 8);
    cr_assert_eq(int_member(rec[0], "short_paragraphs"), 0);
    cr_assert_eq(int_member(rec[0], "chars"), 640);
    cr_assert_eq(int_member(rec[0], "clustered_paragraphs"), 5);
    cr_assert_eq(int_member(rec[0], "clusters"), 2);
    cr_assert_eq(int_member(rec[0], "duplicated_chars"), 240);
    cr_assert_float_eq(double_member(rec[0], "duplicated_share"), 0.375, 1e-9);
    (void)int_member(rec[0], "bytes");
    (void)int_member(rec[0], "candidate_pairs");
    (void)int_member(rec[0], "verified_pairs");
    json_object *params = member(rec[0], "params");
    cr_assert_float_eq(double_member(params, "threshold"), 0.8, 1e-9);
    cr_assert_eq(int_member(params, "num_perm"), 128);
    cr_assert_eq(int_member(params, "shingle"), 5);
    cr_assert_gt(int_member(params, "bands"), 0);
    cr_assert_gt(int_member(params, "rows"), 0);

    for (size_t i = 0; i < ndocs; i++) {
        json_object *d = rec[1 + i];
        cr_assert_str_eq(string_member(d, "type"), "document");
        cr_assert_eq(int_member(d, "doc"), (int64_t)i);
        cr_assert_str_eq(string_member(d, "path"), tiny[i].name);
        cr_assert_str_eq(string_member(d, "split"), "line");
        cr_assert(json_object_is_type(member(d, "gzip"), json_type_boolean));
        cr_assert_eq(int_member(d, "bytes"), (int64_t)strlen(tiny[i].text));
    }
    /* a.txt: 160 chars, 80 of them found elsewhere (P). */
    cr_assert_eq(int_member(rec[1], "chars"), 160);
    cr_assert_eq(int_member(rec[1], "elsewhere_chars"), 80);
    cr_assert_float_eq(double_member(rec[1], "elsewhere_share"), 0.5, 1e-9);
    /* d.txt: S twice, the second copy is within-document repetition. */
    cr_assert_eq(int_member(rec[4], "within_chars"), 80);
    cr_assert_float_eq(double_member(rec[4], "within_share"), 0.3333, 1e-9);
    cr_assert_eq(int_member(rec[4], "elsewhere_chars"), 0);

    json_object *c0 = rec[1 + ndocs];
    cr_assert_str_eq(string_member(c0, "type"), "cluster");
    cr_assert_eq(int_member(c0, "id"), 0);
    cr_assert_eq(int_member(c0, "size"), 3);
    cr_assert_eq(int_member(c0, "documents"), 3);
    json_object *members = member(c0, "members");
    cr_assert_eq(json_object_array_length(members), 3);
    json_object *rep = json_object_array_get_idx(members, 0);
    cr_assert_str_eq(string_member(rep, "path"), "a.txt");
    cr_assert_eq(int_member(rep, "line"), 1);
    cr_assert_eq(int_member(rep, "offset"), 0);
    cr_assert_eq(int_member(rep, "length"), (int64_t)strlen(P));
    cr_assert_float_eq(double_member(rep, "similarity"), 1.0, 1e-9);
    json_object *near = json_object_array_get_idx(members, 2);
    cr_assert_str_eq(string_member(near, "path"), "c.txt");
    cr_assert_float_eq(double_member(near, "similarity"), 0.8824, 1e-9);
    json_object *c1 = rec[2 + ndocs];
    cr_assert_eq(int_member(c1, "id"), 1);
    cr_assert_eq(int_member(c1, "documents"), 1);

    for (size_t i = 0; i < nov; i++) {
        json_object *o = rec[1 + ndocs + ncl + i];
        nd_overlap_info info;
        cr_assert_eq(nd_report_overlap(r, i, &info), ND_OK);
        cr_assert_str_eq(string_member(o, "type"), "overlap");
        cr_assert_eq(int_member(o, "a"), info.a);
        cr_assert_eq(int_member(o, "b"), info.b);
        cr_assert_str_eq(string_member(o, "path_a"), tiny[info.a].name);
        cr_assert_str_eq(string_member(o, "path_b"), tiny[info.b].name);
        cr_assert_eq(int_member(o, "a_in_b_chars"), (int64_t)info.a_in_b);
        cr_assert_eq(int_member(o, "b_in_a_chars"), (int64_t)info.b_in_a);
        cr_assert_eq(int_member(o, "clusters"), (int64_t)info.clusters);
    }
    /* The first overlap is a.txt / c.txt: half of a, all of c. */
    json_object *o0 = rec[1 + ndocs + ncl];
    cr_assert_float_eq(double_member(o0, "a_in_b_share"), 0.5, 1e-9);
    cr_assert_float_eq(double_member(o0, "b_in_a_share"), 1.0, 1e-9);

    for (size_t i = 0; i < n; i++) json_object_put(rec[i]);
    free(out);
    nd_report_free(r);
}

Test(jsonl, emits_paragraph_records_between_documents_and_clusters) {
    nd_report *r = tiny_report();
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    size_t len;
    char *out = render(r, ND_FORMAT_JSONL, &wo, &len);
    json_object *rec[64];
    size_t n = parse_jsonl(out, len, rec, 64);
    size_t np = nd_report_paragraph_count(r);
    cr_assert_eq(np, 8);
    cr_assert_eq(n, 1 + 4 + np + 2 + 3);
    for (size_t i = 0; i < np; i++) {
        json_object *p = rec[5 + i];
        nd_paragraph_info info;
        cr_assert_eq(nd_report_paragraph(r, i, &info), ND_OK);
        cr_assert_str_eq(string_member(p, "type"), "paragraph");
        cr_assert_eq(int_member(p, "id"), (int64_t)i);
        cr_assert_eq(int_member(p, "doc"), info.doc);
        cr_assert_str_eq(string_member(p, "path"), tiny[info.doc].name);
        cr_assert_eq(int_member(p, "line"), info.line);
        cr_assert_eq(int_member(p, "offset"), (int64_t)info.offset);
        cr_assert_eq(int_member(p, "length"), info.length);
        cr_assert_eq(int_member(p, "chars"), 80);
        json_object *cl = member(p, "cluster");
        if (info.cluster < 0) {
            cr_assert(json_object_is_type(cl, json_type_null));
            cr_assert_float_eq(double_member(p, "similarity"), 0.0, 1e-9);
        } else {
            cr_assert_eq(json_object_get_int64(cl), info.cluster);
        }
    }
    /* Q (a.txt line 2) is in no cluster; P in b.txt is in cluster 0. */
    cr_assert(json_object_is_type(member(rec[5 + 1], "cluster"), json_type_null));
    cr_assert_eq(int_member(rec[5 + 3], "cluster"), 0);
    cr_assert_float_eq(double_member(rec[5 + 3], "similarity"), 1.0, 1e-9);
    cr_assert_str_eq(string_member(rec[5 + np], "type"), "cluster");
    for (size_t i = 0; i < n; i++) json_object_put(rec[i]);
    free(out);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* json                                                                       */
/* ------------------------------------------------------------------------ */

Test(json, is_one_valid_document_with_the_jsonl_records_and_a_final_newline) {
    nd_report *r = tiny_report();
    nd_write_options wo;
    nd_write_options_default(&wo);
    size_t len;
    char *out = render(r, ND_FORMAT_JSON, &wo, &len);
    cr_assert_eq(out[len - 1], '\n');
    cr_assert_eq(out[len - 2], '}');
    json_object *root = parse_json(out, len);
    cr_assert_eq(json_object_object_length(root), 5,
                 "summary, skipped, documents, clusters, overlaps");
    cr_assert_eq(json_object_array_length(member(root, "skipped")), 0);
    json_object *summary = member(root, "summary");
    cr_assert_eq(int_member(summary, "clusters"), 2);
    cr_assert(!json_object_object_get_ex(summary, "type", NULL), "no \"type\" in json");
    cr_assert_eq(json_object_array_length(member(root, "documents")), 4);
    cr_assert_eq(json_object_array_length(member(root, "clusters")), 2);
    cr_assert_eq(json_object_array_length(member(root, "overlaps")), 3);
    json_object *d3 = json_object_array_get_idx(member(root, "documents"), 3);
    cr_assert_str_eq(string_member(d3, "path"), "d.txt");
    cr_assert_eq(int_member(d3, "within_chars"), 80);
    json_object_put(root);
    free(out);

    wo.emit_paragraphs = 1;
    out = render(r, ND_FORMAT_JSON, &wo, &len);
    root = parse_json(out, len);
    cr_assert_eq(json_object_array_length(member(root, "paragraphs")), 8);
    json_object_put(root);
    free(out);
    nd_report_free(r);
}

Test(json, writes_empty_arrays_when_nothing_repeats) {
    static const doc docs[] = {{"x.txt", P "\n"}, {"y.txt", Q "\n"}};
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_LINE);
    size_t len;
    char *out = render(r, ND_FORMAT_JSON, NULL, &len);
    json_object *root = parse_json(out, len);
    cr_assert_eq(json_object_array_length(member(root, "clusters")), 0);
    cr_assert_eq(json_object_array_length(member(root, "overlaps")), 0);
    cr_assert_float_eq(double_member(member(root, "summary"), "duplicated_share"), 0.0, 1e-9);
    json_object_put(root);
    free(out);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* Escaping                                                                   */
/* ------------------------------------------------------------------------ */

#define NASTY "q\"b\\s\t\x01\x1f<script>alert(1)</script>\xff\xc3(\xed\xa0\x80.txt"
#define NASTY_DECODED                                                                              \
    "q\"b\\s\t\x01\x1f<script>alert(1)</script>\xEF\xBF\xBD\xEF\xBF\xBD("                          \
    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.txt"

static const doc nasty[] = {
    {NASTY, P "\n"},
    {"\xe4\xb8\xad\xe6\x96\x87/\xc3\xa9t\xc3\xa9.txt", P "\n"},
};

Test(escaping, json_paths_round_trip_and_invalid_utf8_becomes_replacement_char) {
    nd_report *r = scan_docs(nasty, 2, ND_SPLIT_LINE);
    size_t len;
    char *out = render(r, ND_FORMAT_JSONL, NULL, &len);
    json_object *rec[16];
    size_t n = parse_jsonl(out, len, rec, 16); /* strict, UTF-8 validated */
    cr_assert_eq(n, 1 + 2 + 1 + 1);
    cr_assert_str_eq(string_member(rec[1], "path"), NASTY_DECODED);
    /* Non-ASCII is written as is, not as \u escapes. */
    cr_assert_str_eq(string_member(rec[2], "path"), "中文/été.txt");
    cr_assert_not_null(strstr(out, "\"path\":\"中文/été.txt\""));
    /* Control characters are escaped, nothing raw below 0x20 but "\n". */
    cr_assert_not_null(strstr(out, "\\\"b\\\\s\\t\\u0001\\u001f<script>"));
    for (size_t i = 0; i < len; i++)
        cr_assert(out[i] == '\n' || (unsigned char)out[i] >= 0x20, "raw control byte at %zu", i);
    json_object *m1 = json_object_array_get_idx(member(rec[3], "members"), 1);
    cr_assert_str_eq(string_member(m1, "path"), "中文/été.txt");
    cr_assert_str_eq(string_member(rec[4], "path_a"), NASTY_DECODED);
    for (size_t i = 0; i < n; i++) json_object_put(rec[i]);
    free(out);

    out = render(r, ND_FORMAT_JSON, NULL, &len);
    json_object *root = parse_json(out, len);
    json_object *d0 = json_object_array_get_idx(member(root, "documents"), 0);
    cr_assert_str_eq(string_member(d0, "path"), NASTY_DECODED);
    json_object_put(root);
    free(out);
    nd_report_free(r);
}

Test(escaping, text_report_shows_control_characters_in_names_escaped) {
    nd_report *r = scan_docs(nasty, 2, ND_SPLIT_LINE);
    char *out = render(r, ND_FORMAT_TEXT, NULL, NULL);
    for (const char *p = out; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 || *p == '\n', "control byte 0x%02x in text output",
                  (unsigned char)*p);
    /* as the diagnostics write them: \xNN per byte, invalid bytes too */
    cr_assert_not_null(strstr(out, "  q\"b\\s\\x09\\x01\\x1f<script>alert(1)</script>"
                                   "\\xff\\xc3(\\xed\\xa0\\x80.txt:1  1.0000  "),
                       "%s", out);
    cr_assert_null(strstr(out, "q\"b\\s   <script>"), "control characters shown as spaces");
    free(out);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* csv                                                                        */
/* ------------------------------------------------------------------------ */

#define MULTI "He said \"" P "\",\nthen, after a pause,\n\"" R "\""

Test(csv, fields_with_commas_quotes_and_newlines_parse_back) {
    static const doc docs[] = {
        {"we,ird \"name\"\n.txt", MULTI "\n\n" Q "\n"},
        {"plain.txt", T "\n\n" MULTI "\n"},
    };
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_BLANK);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.preview = 100000;
    size_t len;
    char *out = render(r, ND_FORMAT_CSV, &wo, &len);
    csv_table t;
    csv_parse(out, len, &t);
    cr_assert_eq(t.nrows, 3, "header + two members:\n%s", out);
    static const char *const header[] = {"cluster", "size",       "member", "path",
                                         "doc",     "line",       "offset", "length",
                                         "chars",   "similarity", "preview"};
    cr_assert_eq(t.nfields[0], 11);
    for (size_t f = 0; f < 11; f++) cr_assert_str_eq(t.rows[0][f], header[f]);
    for (size_t row = 1; row < 3; row++) {
        cr_assert_eq(t.nfields[row], 11);
        cr_assert_str_eq(t.rows[row][0], "0");
        cr_assert_str_eq(t.rows[row][1], "2");
        cr_assert_str_eq(t.rows[row][10], MULTI);
        cr_assert_str_eq(t.rows[row][9], "1.0000");
    }
    cr_assert_str_eq(t.rows[1][2], "0");
    cr_assert_str_eq(t.rows[1][3], "we,ird \"name\"\n.txt");
    cr_assert_str_eq(t.rows[1][5], "1");
    cr_assert_str_eq(t.rows[2][2], "1");
    cr_assert_str_eq(t.rows[2][3], "plain.txt");
    cr_assert_str_eq(t.rows[2][4], "1");
    cr_assert_str_eq(t.rows[2][5], "3");
    cr_assert_eq(strstr(out, "\r\n"), NULL, "LF line ends");
    csv_free(&t);
    free(out);
    nd_report_free(r);
}

Test(csv, preview_is_cut_on_a_character_boundary) {
    static const doc docs[] = {
        {"x.txt",
         "上半年以来在省厅和市委市政府的正确领导下我局以十九大和省市委相关会议精神为指导\n"},
        {"y.txt",
         "上半年以来在省厅和市委市政府的正确领导下我局以十九大和省市委相关会议精神为指导\n"},
    };
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_LINE);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.preview = 5;
    size_t len;
    char *out = render(r, ND_FORMAT_CSV, &wo, &len);
    csv_table t;
    csv_parse(out, len, &t);
    cr_assert_eq(t.nrows, 3);
    cr_assert_str_eq(t.rows[1][10], "上半年以来");
    cr_assert_str_eq(t.rows[2][3], "y.txt");
    csv_free(&t);
    free(out);
    nd_report_free(r);
}

/* A passage with a comma, quotes, markup and a newline in it, copied into
 * otherwise different paragraphs of a file with a hostile name and of a
 * plain one: csv rows parse back to 14 fields with the record's fields and
 * text; the html pair view escapes the path and the text. */
#define COPIED "He wrote, \"<b>" P "</b>\"\nand " Q

static nd_report *scan_passages(const doc *docs, size_t n) {
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_options_default(&opt);
    opt.split = ND_SPLIT_BLANK;
    opt.passages = 1;
    opt.min_passage = 40;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, docs[i].name, docs[i].text, strlen(docs[i].text)),
                     ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

static const doc copied_docs[] = {
    {"we,ird \"<name>\"\n.txt", "Intro " R " then " COPIED " and a different ending here.\n"},
    {"plain.txt", T " so " COPIED " closing words of another kind.\n"},
};

Test(csv, passages_are_rows_of_their_own_that_parse_back) {
    nd_report *r = scan_passages(copied_docs, 2);
    cr_assert_geq(nd_report_passage_count(r), 1);
    nd_passage_record_info pi;
    const char *text;
    size_t tlen, len;
    cr_assert_eq(nd_report_passage(r, 0, &pi), ND_OK);
    cr_assert_eq(nd_report_passage_text(r, 0, 0, &text, &tlen), ND_OK);
    char *out = render(r, ND_FORMAT_CSV, NULL, &len);
    csv_table t;
    csv_parse(out, len, &t);
    static const char *const header[] = {"kind",  "id",         "size",   "documents", "member",
                                         "path",  "doc",        "line",   "offset",    "length",
                                         "chars", "similarity", "common", "text"};
    cr_assert_eq(t.nfields[0], 14);
    for (size_t f = 0; f < 14; f++) cr_assert_str_eq(t.rows[0][f], header[f]);
    size_t places = 0;
    for (size_t row = 1; row < t.nrows; row++) {
        cr_assert_eq(t.nfields[row], 14, "row %zu:\n%s", row, out);
        if (strcmp(t.rows[row][0], "passage") != 0) {
            cr_assert_str_eq(t.rows[row][0], "cluster");
            cr_assert(places == 0, "cluster rows come first");
            continue;
        }
        if (strcmp(t.rows[row][1], "0") != 0) continue;
        nd_passage_place pl;
        char num[32];
        cr_assert_eq(nd_report_passage_place(r, 0, places, &pl), ND_OK);
        snprintf(num, sizeof num, "%zu", places);
        cr_assert_str_eq(t.rows[row][4], num);
        cr_assert_str_eq(t.rows[row][5], pl.doc == 0 ? copied_docs[0].name : "plain.txt");
        snprintf(num, sizeof num, "%llu", (unsigned long long)pl.offset);
        cr_assert_str_eq(t.rows[row][8], num);
        snprintf(num, sizeof num, "%llu", (unsigned long long)pi.chars);
        cr_assert_str_eq(t.rows[row][10], num);
        cr_assert_str_eq(t.rows[row][12], pi.common ? "true" : "false");
        cr_assert_eq(strlen(t.rows[row][13]), tlen);
        cr_assert_eq(memcmp(t.rows[row][13], text, tlen), 0, "every row has the whole text");
        places++;
    }
    cr_assert_eq(places, pi.places);
    cr_assert_not_null(strstr(text, "<b>"), "the passage holds the markup: %.*s", (int)tlen, text);
    csv_free(&t);
    free(out);
    nd_report_free(r);
}

Test(html, pair_view_escapes_paths_and_passages) {
    nd_report *r = scan_passages(copied_docs, 2);
    cr_assert_eq(nd_report_overlap_count(r), 1);
    char *out = render(r, ND_FORMAT_HTML, NULL, NULL);
    cr_assert_not_null(strstr(out, "<details class=\"pairview\" id=\"pair-0-1\""));
    cr_assert_not_null(strstr(out, "we,ird &quot;&lt;name&gt;&quot;\n.txt"));
    cr_assert_null(strstr(out, "<name>"), "a path as markup");
    cr_assert_null(strstr(out, "<b>"), "passage text as markup");
    cr_assert_not_null(strstr(out, "&quot;&lt;b&gt;able acid"));
    cr_assert_not_null(strstr(out, "id=\"v0-a-p0\""));
    cr_assert_not_null(strstr(out, "id=\"v0-b-p0\""));
    cr_assert_not_null(strstr(out, "href=\"#v0-a-p0\""));
    free(out);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* text                                                                       */
/* ------------------------------------------------------------------------ */

Test(text, tiny_corpus_gives_the_expected_lines) {
    nd_report *r = tiny_report();
    char *out = render(r, ND_FORMAT_TEXT, NULL, NULL);
    assert_line(out, "neardup report");
    assert_line(out, "  files        4 read, 0 inputs skipped");
    assert_line(out, "  paragraphs   8 (0 below --min-chars, not compared)");
    assert_line(out, "  clustered    5 paragraphs in 2 clusters");
    assert_line(out, "  duplicated   37.5% of comparable characters (240 of 640)");
    assert_line(out, "               removable, keeping the first copy of each cluster");
    cr_assert_null(strstr(out, "common text"), "no common-text line without such clusters");
    cr_assert_not_null(strstr(out, "\n  LSH          threshold 0.80, num_perm 128, "));

    assert_line(out, "Documents with the most text found elsewhere");
    assert_line(out, "  elsewhere %  within %  paragraphs  path");
    cr_assert_not_null(strstr(out, "  elsewhere %  within %  paragraphs  path\n"
                                   "       100.0%      0.0%           1  c.txt\n"
                                   "        50.0%      0.0%           2  a.txt\n"
                                   "        50.0%      0.0%           2  b.txt\n"
                                   "\n"),
                       "documents section:\n%s", out);

    cr_assert_not_null(
        strstr(
            out,
            "Document pairs with the most overlap\n"
            "   50.0% of a.txt appears in c.txt   100.0% of c.txt appears in a.txt   (1 cluster)\n"
            "   50.0% of b.txt appears in c.txt   100.0% of c.txt appears in b.txt   (1 cluster)\n"
            "   50.0% of a.txt appears in b.txt    50.0% of b.txt appears in a.txt   (1 cluster)\n"
            "\n"),
        "pairs section:\n%s", out);

    cr_assert_not_null(strstr(out, "Repetition within documents\n"
                                   "  within %  paragraphs repeated  path\n"
                                   "     33.3%                    1  d.txt\n"
                                   "\n"),
                       "repetition section:\n%s", out);

    cr_assert_not_null(strstr(out, "Largest clusters\n"
                                   "  path:line, Jaccard similarity to the first member, text\n"
                                   "#0  3 paragraphs in 3 documents\n"
                                   "  a.txt:1  1.0000  able acid aged also area army away baby…\n"
                                   "  b.txt:2  1.0000  able acid aged also area army away baby…\n"
                                   "  c.txt:1  0.8824  able acid aged also area army away baby…\n"
                                   "\n"
                                   "#1  2 paragraphs in 1 document\n"
                                   "  d.txt:1  1.0000  cool cope copy core cost crew crop dark…\n"
                                   "  d.txt:3  1.0000  cool cope copy core cost crew crop dark…\n"),
                       "clusters section:\n%s", out);
    free(out);
    nd_report_free(r);
}

Test(text, says_plainly_when_nothing_repeats) {
    static const doc docs[] = {{"x.txt", P "\n"}, {"y.txt", Q "\n"}};
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_LINE);
    char *out = render(r, ND_FORMAT_TEXT, NULL, NULL);
    assert_line(out, "No repeated paragraphs found at threshold 0.80.");
    cr_assert_null(strstr(out, "Largest clusters"));
    free(out);
    nd_report_free(r);
}

Test(text, top_limits_rows_and_counts_the_rest) {
    nd_report *r = tiny_report();
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.top = 1;
    wo.preview = 4;
    char *out = render(r, ND_FORMAT_TEXT, &wo, NULL);
    cr_assert_not_null(strstr(out, "       100.0%      0.0%           1  c.txt\n  … and 2 more\n"),
                       "%s", out);
    cr_assert_null(strstr(out, "#1  "));
    assert_line(out, "  a.txt:1  1.0000  able…");
    assert_line(out, "… and 1 more cluster");
    free(out);
    nd_report_free(r);
}

Test(text, aligns_columns_by_display_width_of_wide_characters) {
    static const doc docs[] = {
        {"中文.txt", P "\n"},
        {"abcdef.txt", P "\n"},
    };
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_LINE);
    char *out = render(r, ND_FORMAT_TEXT, NULL, NULL);
    /* "中文.txt" is 8 columns wide, "abcdef.txt" 10. */
    assert_line(out, "  中文.txt:1    1.0000  able acid aged also area army away baby…");
    assert_line(out, "  abcdef.txt:1  1.0000  able acid aged also area army away baby…");
    free(out);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* Determinism and the sink                                                   */
/* ------------------------------------------------------------------------ */

Test(write, output_is_byte_identical_across_runs) {
    static const nd_format formats[] = {ND_FORMAT_TEXT, ND_FORMAT_JSONL, ND_FORMAT_JSON,
                                        ND_FORMAT_CSV};
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    nd_report *r1 = tiny_report(), *r2 = tiny_report();
    for (size_t f = 0; f < 4; f++) {
        size_t l1, l2, l3;
        char *a = render(r1, formats[f], &wo, &l1);
        char *b = render(r1, formats[f], &wo, &l2);
        char *c = render(r2, formats[f], &wo, &l3);
        cr_assert(l1 == l2 && memcmp(a, b, l1) == 0, "format %zu differs between writes", f);
        cr_assert(l1 == l3 && memcmp(a, c, l1) == 0, "format %zu differs between scans", f);
        free(a);
        free(b);
        free(c);
    }
    nd_report_free(r1);
    nd_report_free(r2);
}

Test(write, calls_the_sink_with_large_blocks_on_the_seed_corpus) {
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_options_default(&opt);
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_seed_path("")), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    membuf m = {0};
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSONL, &wo, mem_write, &m), ND_OK);
    cr_assert_gt(m.len, 0);
    cr_assert_leq(m.calls, m.len / (32 * 1024) + 1, "%zu calls for %zu bytes", m.calls, m.len);
    json_object *rec[8192];
    size_t n = parse_jsonl(m.data, m.len, rec, 8192);
    cr_assert_eq(n, 1 + nd_report_document_count(r) + nd_report_paragraph_count(r) +
                        nd_report_cluster_count(r) + nd_report_overlap_count(r));
    for (size_t i = 0; i < n; i++) json_object_put(rec[i]);
    free(m.data);
    nd_report_free(r);
}

Test(write, stops_at_the_first_sink_failure_with_io_error) {
    nd_report *r = tiny_report();
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    membuf m = {0};
    m.fail_after = 1;
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSON, &wo, mem_write, &m), ND_ERR_IO);
    cr_assert_eq(m.calls, 1);
    cr_assert_eq(m.calls_after_failure, 0);
    free(m.data);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* nd_report_write_path                                                       */
/* ------------------------------------------------------------------------ */

static char *make_temp_dir(void) {
    char tmpl[] = "/tmp/nd_test_report.XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    return strdup(dir);
}

/* Number of entries in dir other than . and .. */
static size_t dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir, const char *file) {
    char path[4096];
    if (file) {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        unlink(path);
    }
    rmdir(dir);
}

Test(write_path, replaces_the_file_atomically_and_leaves_no_temp_file) {
    nd_report *r = tiny_report();
    char *dir = make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/report.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("old contents\n", f);
    fclose(f);
    struct stat before;
    cr_assert_eq(stat(path, &before), 0);

    cr_assert_eq(nd_report_write_path(r, ND_FORMAT_JSON, NULL, path), ND_OK);
    size_t len, want_len;
    char *got = nd_test_read_file(path, &len);
    char *want = render(r, ND_FORMAT_JSON, NULL, &want_len);
    cr_assert(len == want_len && memcmp(got, want, len) == 0, "file differs from the sink output");
    cr_assert_eq(dir_entries(dir), 1, "only report.json remains");
    struct stat after;
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_neq(before.st_ino, after.st_ino, "replaced by rename, not rewritten in place");
    mode_t mask = umask(0);
    umask(mask);
    cr_assert_eq(after.st_mode & 0777, 0666 & ~mask);
    free(got);
    free(want);
    remove_dir(dir, "report.json");
    free(dir);
    nd_report_free(r);
}

Test(write_path, fails_in_a_missing_directory_without_leaving_anything) {
    nd_report *r = tiny_report();
    char *dir = make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/missing/report.json", dir);
    cr_assert_eq(nd_report_write_path(r, ND_FORMAT_JSONL, NULL, path), ND_ERR_IO);
    cr_assert_eq(nd_report_sys_errno(r), ENOENT);
    cr_assert_str_eq(nd_report_error_path(r), path);
    cr_assert_eq(dir_entries(dir), 0);
    remove_dir(dir, NULL);
    free(dir);
    nd_report_free(r);
}

Test(write_path, removes_the_temp_file_when_the_writer_fails) {
    nd_report *r = tiny_report();
    char *dir = make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/report.txt", dir);
    cr_assert_neq(nd_report_write_path(r, (nd_format)42, NULL, path), ND_OK);
    cr_assert_eq(dir_entries(dir), 0, "no temporary file left behind");
    remove_dir(dir, NULL);
    free(dir);
    nd_report_free(r);
}

Test(write_path, refuses_a_directory) {
    nd_report *r = tiny_report();
    char *dir = make_temp_dir();
    cr_assert_eq(nd_report_write_path(r, ND_FORMAT_TEXT, NULL, dir), ND_ERR_IO);
    cr_assert_eq(nd_report_sys_errno(r), EISDIR);
    struct stat sb;
    cr_assert_eq(stat(dir, &sb), 0);
    cr_assert(S_ISDIR(sb.st_mode), "the directory is still there");
    cr_assert_eq(dir_entries(dir), 0);
    remove_dir(dir, NULL);
    free(dir);
    nd_report_free(r);
}

Test(write_path, streams_into_a_character_device_or_fifo_in_place) {
    nd_report *r = tiny_report();
    cr_assert_eq(nd_report_write_path(r, ND_FORMAT_JSONL, NULL, "/dev/null"), ND_OK);
    struct stat sb;
    cr_assert_eq(stat("/dev/null", &sb), 0);
    cr_assert(S_ISCHR(sb.st_mode), "/dev/null is still a device");

    /* a fifo: a child reads it; the bytes equal a write to a memory sink */
    char *dir = make_temp_dir();
    char fifo[1024];
    cr_assert_lt(strlen(dir), 900u);
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s.out' &", fifo, fifo);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(nd_report_write_path(r, ND_FORMAT_CSV, NULL, fifo), ND_OK);
    snprintf(cmd, sizeof cmd, "wait; sleep 0.2; test -s '%s.out'", fifo);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(stat(fifo, &sb), 0);
    cr_assert(S_ISFIFO(sb.st_mode), "the fifo was not replaced");
    unlink(fifo);
    snprintf(cmd, sizeof cmd, "%s.out", fifo);
    unlink(cmd);
    remove_dir(dir, NULL);
    free(dir);
    nd_report_free(r);
}

Test(summary, clusters_in_more_than_common_docs_documents_leave_the_pair_list) {
    /* P is in a, b and c (c has the near copy); with common_docs = 2 its
     * cluster is common text: still counted as found elsewhere, but no
     * document pair comes from it. */
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_options_default(&opt);
    opt.split = ND_SPLIT_LINE;
    opt.common_docs = 2;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    for (size_t i = 0; i < NTINY; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, tiny[i].name, tiny[i].text, strlen(tiny[i].text)),
                     ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_summary sm;
    cr_assert_eq(nd_report_summary(r, &sm), ND_OK);
    cr_expect_eq(sm.common_clusters, 1u);
    cr_expect_eq(sm.common_docs, 2u);
    cr_expect_eq(nd_report_overlap_count(r), 0u);
    nd_document_info di;
    cr_assert_eq(nd_report_document(r, 0, &di), ND_OK);
    cr_expect_eq(di.elsewhere_chars, 80u, "P still counts as found elsewhere");
    char *out = render(r, ND_FORMAT_TEXT, NULL, NULL);
    assert_line(out, "  common text  1 cluster in more than 2 documents, left out of document "
                     "pairs (--common-docs)");
    free(out);
    nd_report_free(r);
    nd_scanner_free(sc);

    /* the default (100) keeps the pairs */
    r = tiny_report();
    cr_assert_eq(nd_report_summary(r, &sm), ND_OK);
    cr_expect_eq(sm.common_clusters, 0u);
    cr_expect_eq(nd_report_overlap_count(r), 3u);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* Inputs that change after the scan (issue 12)                              */
/* ------------------------------------------------------------------------ */

typedef struct change_log {
    int n;
    nd_status st;
    char path[512];
} change_log;

static void on_change(void *user, const nd_diag *d) {
    change_log *c = user;
    c->n++;
    c->st = d->status;
    snprintf(c->path, sizeof c->path, "%s", d->path);
}

/* The report keeps no input bytes: a paragraph's text is read again and
 * checked; a file rewritten after the scan gives "" and one ND_ERR_CHANGED
 * through the scanner's diag callback, and never a fault or other bytes. */
Test(report_text, a_file_changed_after_the_scan_is_reported_once) {
    char dir[] = "/tmp/nd-report-XXXXXX", a[600], b[600];
    cr_assert_not_null(mkdtemp(dir));
    const char *para = "这是一个用于测试的段落，内容相当长，足以被聚类算法识别为重复的段落之一。\n";
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? b : a, "w");
        cr_assert_not_null(f);
        fputs(para, f);
        fclose(f);
    }
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    change_log log = {0};
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    nd_scanner_set_diag(sc, on_change, &log);
    cr_assert_eq(nd_scanner_add_path(sc, dir), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    cr_assert_eq(nd_report_paragraph_count(r), 2);
    cr_assert_eq(nd_report_cluster_count(r), 1);
    const char *t = NULL;
    size_t len = 0;
    cr_assert_eq(nd_report_paragraph_text(r, 0, &t, &len), ND_OK);
    cr_assert_eq(len, strlen(para) - 1);
    cr_assert_eq(memcmp(t, para, len), 0);
    cr_assert_eq(log.n, 0);
    /* b.txt rewritten in place with the same size */
    FILE *f = fopen(b, "r+");
    cr_assert_not_null(f);
    fputs("XX", f);
    fclose(f);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, b, ts, 0), 0); /* even with an old time */
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(nd_report_paragraph_text(r, 1, &t, &len), ND_OK);
        cr_expect_eq(len, 0);
        cr_expect_str_eq(t, "");
    }
    cr_expect_eq(log.n, 1, "reported once");
    cr_expect_eq(log.st, ND_ERR_CHANGED);
    cr_expect_str_eq(log.path, b);
    cr_assert_eq(nd_report_paragraph_text(r, 0, &t, &len), ND_OK); /* a.txt is fine */
    cr_expect_eq(memcmp(t, para, len), 0);
    nd_report_free(r);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ------------------------------------------------------------------------ */
/* Shares over comparable characters (issue 17)                               */
/* ------------------------------------------------------------------------ */

/* Two byte-identical files whose short paragraphs (below --min-chars) can
 * never match: every format shows 100%, not 92.5% (123 of 133). */
static const char twin_text[] =
    "Title\n"
    "The quick brown fox jumps over the lazy dog near the river bank today.\n"
    "Short.\n"
    "Another paragraph with enough words to be compared by the near duplicate finder.\n";
static const doc twins[] = {{"a.txt", twin_text}, {"b.txt", twin_text}};

Test(share, byte_identical_files_with_short_paragraphs_show_100_percent_everywhere) {
    nd_report *r = scan_docs(twins, 2, ND_SPLIT_LINE);
    uint64_t ca = 0, total = 0;
    nd_document_info di;
    cr_assert_eq(nd_report_document(r, 0, &di), ND_OK);
    cr_assert_eq(nd_report_document_comparable(r, 0, &ca), ND_OK);
    cr_assert_eq(nd_report_comparable_chars(r, &total), ND_OK);
    cr_assert_eq(di.chars, 133u);
    cr_assert_eq(ca, 123u, "Title and Short. are not comparable");
    cr_assert_eq(di.elsewhere_chars, 123u);
    cr_assert_eq(total, 246u);
    cr_assert_eq(nd_report_document_comparable(r, 2, &ca), ND_ERR_INVALID);
    cr_assert_eq(nd_report_comparable_chars(NULL, &total), ND_ERR_INVALID);

    char *text = render(r, ND_FORMAT_TEXT, NULL, NULL);
    assert_line(text, "  duplicated   50.0% of comparable characters (123 of 246)");
    assert_line(text, "       100.0%      0.0%           4  a.txt");
    assert_line(text, "  100.0% of a.txt appears in b.txt   100.0% of b.txt appears in a.txt"
                      "   (2 clusters)");
    free(text);

    size_t len;
    char *jl = render(r, ND_FORMAT_JSONL, NULL, &len);
    cr_assert_not_null(strstr(jl, ",\"chars\":266,\"comparable_chars\":246,"));
    cr_assert_not_null(strstr(jl, "\"duplicated_share\":0.5000,"));
    cr_assert_not_null(strstr(jl, "\"chars\":133,\"comparable_chars\":123,\"elsewhere_chars\":123,"
                                  "\"elsewhere_share\":1.0000,"));
    cr_assert_not_null(strstr(jl, "\"a_in_b_share\":1.0000,\"b_in_a_chars\":123,"
                                  "\"b_in_a_share\":1.0000,"));
    free(jl);

    char *html = render(r, ND_FORMAT_HTML, NULL, NULL);
    cr_assert_not_null(strstr(html, "50.0% of the comparable text is duplicated"));
    cr_assert_not_null(strstr(html, "data-v=\"1.0000\">100.0%</td>"));
    cr_assert_null(strstr(html, "92.5%"));
    free(html);
    nd_report_free(r);

    nd_compare *c = NULL;
    membuf m = {0};
    cr_assert_eq(nd_compare_buffers("a.txt", twin_text, strlen(twin_text), "b.txt", twin_text,
                                    strlen(twin_text), NULL, &c),
                 ND_OK);
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_TEXT, NULL, mem_write, &m), ND_OK);
    assert_line(m.data, "100.0% of A appears in B (133 of 133 comparable characters)");
    free(m.data);
    nd_compare_free(c);
}

/* ------------------------------------------------------------------------ */
/* jsonl/json fields (issue 17)                                               */
/* ------------------------------------------------------------------------ */

Test(jsonl, skipped_inputs_are_records_with_path_and_reason) {
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_diag d;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, "/nonexistent/neardup-missing.txt"), ND_OK);
    cr_assert_eq(nd_scanner_add_buffer(sc, "a.txt", twin_text, strlen(twin_text)), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    cr_assert_eq(nd_report_skipped_count(r), 1u);
    cr_assert_eq(nd_report_skipped(r, 0, &d), ND_OK);
    cr_assert_str_eq(d.path, "/nonexistent/neardup-missing.txt");
    cr_assert_eq(d.status, ND_ERR_IO);
    cr_assert_eq(d.sys_errno, ENOENT);
    cr_assert_eq(nd_report_skipped(r, 1, &d), ND_ERR_INVALID);
    size_t len;
    char *jl = render(r, ND_FORMAT_JSONL, NULL, &len);
    const char *line2 = strchr(jl, '\n') + 1;
    cr_assert_eq(strncmp(line2,
                         "{\"type\":\"skipped\",\"path\":\"/nonexistent/neardup-missing.txt\","
                         "\"reason\":\"No such file or directory\",\"status\":\"input/output "
                         "error\",\"errno\":2,\"detail\":null}\n{\"type\":\"document\"",
                         strlen("{\"type\":\"skipped\",\"path\":\"/nonexistent/neardup-missing."
                                "txt\",\"reason\":\"No such file or directory\",\"status\":"
                                "\"input/output error\",\"errno\":2,\"detail\":null}\n{\"type\":"
                                "\"document\"")),
                 0, "%s", line2);
    free(jl);
    char *js = render(r, ND_FORMAT_JSON, NULL, &len);
    json_object *root = parse_json(js, len);
    json_object *sk = json_object_array_get_idx(member(root, "skipped"), 0);
    cr_assert_str_eq(string_member(sk, "path"), "/nonexistent/neardup-missing.txt");
    cr_assert_str_eq(string_member(sk, "reason"), "No such file or directory");
    json_object_put(root);
    free(js);
    nd_report_free(r);
}

Test(jsonl, members_carry_their_text_with_emit_text_and_clusters_a_common_flag) {
    nd_report *r = scan_docs(twins, 2, ND_SPLIT_LINE);
    nd_write_options wo;
    nd_write_options_default(&wo);
    char *plain = render(r, ND_FORMAT_JSONL, &wo, NULL);
    cr_assert_null(strstr(plain, "\"text\":"), "no text unless asked for");
    cr_assert_not_null(strstr(plain, "{\"type\":\"cluster\",\"id\":0,\"size\":2,\"documents\":2,"
                                     "\"chars\":112,\"common\":false,\"members\":["));
    free(plain);
    wo.emit_paragraphs = ND_EMIT_TEXT;
    char *jl = render(r, ND_FORMAT_JSONL, &wo, NULL);
    cr_assert_not_null(strstr(jl, "\"similarity\":1.0000,\"text\":\"The quick brown fox jumps "
                                  "over the lazy dog near the river bank today.\"}"));
    cr_assert_null(strstr(jl, "\"type\":\"paragraph\""), "ND_EMIT_TEXT alone adds no records");
    free(jl);
    wo.emit_paragraphs = ND_EMIT_TEXT | ND_EMIT_PARAGRAPHS;
    jl = render(r, ND_FORMAT_JSONL, &wo, NULL);
    cr_assert_not_null(strstr(jl, "{\"type\":\"paragraph\",\"id\":0,\"path\":\"a.txt\",\"doc\":0,"
                                  "\"line\":1,\"offset\":0,\"length\":5,\"chars\":5,"
                                  "\"cluster\":null,\"similarity\":0.0000,\"text\":\"Title\"}"));
    free(jl);
    nd_report_free(r);

    /* with --common-docs 1 the two-document cluster is common text */
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_options_default(&opt);
    opt.common_docs = 1;
    opt.split = ND_SPLIT_LINE;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    for (size_t i = 0; i < 2; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, twins[i].name, twin_text, strlen(twin_text)), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    jl = render(r, ND_FORMAT_JSONL, NULL, NULL);
    cr_assert_not_null(strstr(jl, "\"chars\":112,\"common\":true,\"members\":["));
    cr_assert_null(strstr(jl, "\"common\":false"));
    free(jl);
    nd_report_free(r);
}

Test(ids, clusters_and_documents_are_numbered_from_0_in_every_format) {
    nd_report *r = scan_docs(twins, 2, ND_SPLIT_LINE);
    char *text = render(r, ND_FORMAT_TEXT, NULL, NULL);
    char *jl = render(r, ND_FORMAT_JSONL, NULL, NULL);
    char *csv = render(r, ND_FORMAT_CSV, NULL, NULL);
    char *html = render(r, ND_FORMAT_HTML, NULL, NULL);
    cr_assert_not_null(strstr(text, "\n#0  2 paragraphs in 2 documents\n"));
    cr_assert_not_null(strstr(text, "\n#1  2 paragraphs in 2 documents\n"));
    cr_assert_not_null(strstr(jl, "{\"type\":\"cluster\",\"id\":0,"));
    cr_assert_not_null(strstr(jl, "{\"type\":\"cluster\",\"id\":1,"));
    cr_assert_not_null(strstr(csv, "\n0,2,0,a.txt,0,"));
    cr_assert_not_null(strstr(csv, "\n1,2,0,a.txt,0,"));
    cr_assert_not_null(strstr(html, "<h3>Cluster 0 &middot; 2 members"));
    cr_assert_not_null(strstr(html, "<h3>Cluster 1 &middot; 2 members"));
    cr_assert_null(strstr(html, "<h3>Cluster 2 "));
    /* documents: jsonl "doc":0 is the HTML table's and heat map's 0 */
    cr_assert_not_null(strstr(jl, "{\"type\":\"document\",\"doc\":0,\"path\":\"a.txt\""));
    cr_assert_not_null(strstr(html, "<tr id=\"doc-0\" data-path=\"a.txt\"><td class=\"num\" "
                                    "data-v=\"0\">0</td>"));
    cr_assert_not_null(strstr(html, "\">0 &middot; a.txt</th>"));
    free(text);
    free(jl);
    free(csv);
    free(html);
    nd_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* text layout (issue 17)                                                     */
/* ------------------------------------------------------------------------ */

/* Display width of a UTF-8 line as the writer counts it (CJK 2 columns). */
static size_t line_width(const char *p, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        size_t adv = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        w += adv == 3 && c >= 0xE3 ? 2 : 1; /* CJK and fullwidth here */
        i += adv;
    }
    return w;
}

static const char wide_para[] = "\xE3\x80\x80\xE3\x80\x80首先，要深刻認識意識形態工作的極端重要性。"
                                "意識形態工作是黨的一項極端重要的工作，"
                                "關乎旗幟、關乎道路、關乎國家政治安全。\n";

Test(text, lines_fit_100_columns_and_previews_skip_leading_white_space) {
    static const doc docs[] = {
        {"dir/and-sub/first.txt", wide_para},
        {"dir/and-sub/second.txt", wide_para},
    };
    nd_report *r = scan_docs(docs, 2, ND_SPLIT_LINE);
    size_t len;
    char *out = render(r, ND_FORMAT_TEXT, NULL, &len);
    for (const char *p = out, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        cr_assert_leq(line_width(p, (size_t)(e - p)), 100u, "wider than 100: %.*s", (int)(e - p),
                      p);
    }
    /* the ideographic spaces that indent the paragraph are not previewed */
    cr_assert_not_null(strstr(out, "/first.txt:1   1.0000  首先，要深刻認識"), "%s", out);
    /* the pair that does not fit one line takes two */
    cr_assert_not_null(strstr(out, "\n  100.0% of dir/and-sub/first.txt appears in dir/and-sub/"
                                   "second.txt\n  100.0% of dir/and-sub/second.txt appears in "
                                   "dir/and-sub/first.txt   (1 cluster)\n"),
                       "%s", out);
    free(out);
    /* a wider terminal: the preview's 40 characters (80 columns) fit */
    membuf m = {0};
    cr_assert_eq(nd_report_write_width(r, ND_FORMAT_TEXT, NULL, 200, mem_write, &m), ND_OK);
    cr_assert_not_null(strstr(m.data,
                              "/first.txt:1   1.0000  首先，要深刻認識意識形態工作的極端重要性。"
                              "意識形態工作是黨的一項極端重要的工作，…\n"),
                       "%s", m.data);
    free(m.data);
    nd_report_free(r);
}
