/*
 * fuzz_write.c - report writing (nd_report_write) for fuzzed documents with
 * fuzzed names (quotes, commas, control characters, newlines, ill-formed
 * UTF-8, markup).
 *
 * Every format is rendered and read back:
 *   json   parsed by json-c (strict, UTF-8 validated); counts of documents,
 *          clusters, overlaps and paragraphs; every path equals the name
 *          when the name is valid UTF-8;
 *   jsonl  every line is one strict JSON object with a known "type";
 *   csv    read by an RFC 4180 reader: every record has the header's 11
 *          fields, one record per cluster member, paths equal the names;
 *   text   valid UTF-8 with no control character but LF;
 *   html   valid UTF-8, tags balanced and properly nested, every '<' starts
 *          a tag, every '&' a character reference, attribute values quoted,
 *          script/style closed; no fuzzed text can open a tag.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_report.h"

/* ---- JSON ---------------------------------------------------------------- */

static json_object *parse_json(const char *s, size_t n) {
    json_tokener *tok = json_tokener_new();
    FUZZ_CHECK(tok != NULL, "json_tokener_new");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    enum json_tokener_error e = json_tokener_get_error(tok);
    FUZZ_CHECK(o != NULL && e == json_tokener_success, "invalid JSON (%s): %.*s",
               json_tokener_error_desc(e), (int)(n > 400 ? 400 : n), s);
    size_t used = json_tokener_get_parse_end(tok);
    for (; used < n; used++)
        FUZZ_CHECK(s[used] == '\n' || s[used] == ' ', "data after the JSON value");
    json_tokener_free(tok);
    return o;
}

static json_object *member(json_object *o, const char *key) {
    json_object *v = NULL;
    FUZZ_CHECK(json_object_object_get_ex(o, key, &v), "no member \"%s\"", key);
    return v;
}

static size_t array_len(json_object *o, const char *key) {
    json_object *a = member(o, key);
    FUZZ_CHECK(json_object_is_type(a, json_type_array), "\"%s\" is not an array", key);
    return json_object_array_length(a);
}

static void check_path(const fuzz_docs *fd, size_t d, const char *got, size_t got_len) {
    const char *name = fd->name[d];
    size_t nl = strlen(name);
    FUZZ_CHECK(fuzz_valid_utf8((const uint8_t *)got, got_len), "path %zu not UTF-8", d);
    if (fuzz_valid_utf8((const uint8_t *)name, nl))
        FUZZ_CHECK(got_len == nl && memcmp(got, name, nl) == 0, "path of document %zu changed", d);
}

static void check_json(const fuzz_docs *fd, const nd_report *r, const fuzz_buf *b) {
    json_object *o = parse_json(b->p, b->n);
    FUZZ_CHECK(json_object_is_type(o, json_type_object), "not an object");
    member(o, "summary");
    FUZZ_CHECK(array_len(o, "documents") == nd_report_document_count(r), "documents");
    FUZZ_CHECK(array_len(o, "paragraphs") == nd_report_paragraph_count(r), "paragraphs");
    FUZZ_CHECK(array_len(o, "clusters") == nd_report_cluster_count(r), "clusters");
    FUZZ_CHECK(array_len(o, "overlaps") == nd_report_overlap_count(r), "overlaps");
    json_object *docs = member(o, "documents");
    for (size_t d = 0; d < fd->n; d++) {
        json_object *p = member(json_object_array_get_idx(docs, d), "path");
        FUZZ_CHECK(json_object_is_type(p, json_type_string), "path not a string");
        check_path(fd, d, json_object_get_string(p), (size_t)json_object_get_string_len(p));
    }
    json_object_put(o);
}

static void check_jsonl(const nd_report *r, const fuzz_buf *b, int paragraphs) {
    size_t counts[5] = {0};
    static const char *const types[5] = {"summary", "document", "paragraph", "cluster", "overlap"};
    const char *s = b->p, *end = b->p + b->n;
    FUZZ_CHECK(b->n > 0 && b->p[b->n - 1] == '\n', "jsonl does not end with a newline");
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        FUZZ_CHECK(nl != NULL, "unterminated line");
        json_object *o = parse_json(s, (size_t)(nl - s));
        FUZZ_CHECK(json_object_is_type(o, json_type_object), "line not an object");
        const char *t = json_object_get_string(member(o, "type"));
        size_t k = 0;
        while (k < 5 && strcmp(t, types[k]) != 0) k++;
        FUZZ_CHECK(k < 5, "unknown type %s", t);
        counts[k]++;
        json_object_put(o);
        s = nl + 1;
    }
    FUZZ_CHECK(counts[0] == 1 && counts[1] == nd_report_document_count(r) &&
                   counts[2] == (paragraphs ? nd_report_paragraph_count(r) : 0) &&
                   counts[3] == nd_report_cluster_count(r) &&
                   counts[4] == nd_report_overlap_count(r),
               "jsonl record counts");
}

/* ---- CSV (RFC 4180, LF or CRLF record ends) ------------------------------ */

#define CSV_FIELDS 11

static void check_csv(const fuzz_docs *fd, const nd_report *r, const fuzz_buf *b) {
    const char *s = b->p, *end = b->p + b->n;
    size_t records = 0, members = 0;
    char *field = malloc(b->n + 1);
    FUZZ_CHECK(field != NULL, "malloc");
    FUZZ_CHECK(fuzz_valid_utf8((const uint8_t *)b->p, b->n), "csv not UTF-8");
    for (size_t k = 0; k < nd_report_cluster_count(r); k++) {
        nd_cluster_info c;
        FUZZ_CHECK(nd_report_cluster(r, k, &c) == ND_OK, "cluster");
        members += c.size;
    }
    while (s < end) {
        size_t nf = 0;
        long doc = -1;
        char path[64 * 4];
        size_t path_len = 0;
        for (;;) { /* one field */
            size_t fl = 0;
            if (s < end && *s == '"') {
                s++;
                for (;;) {
                    FUZZ_CHECK(s < end, "unterminated quoted field");
                    if (*s == '"') {
                        if (s + 1 < end && s[1] == '"') {
                            field[fl++] = '"';
                            s += 2;
                            continue;
                        }
                        s++;
                        break;
                    }
                    field[fl++] = *s++;
                }
            } else {
                while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
                    FUZZ_CHECK(*s != '"', "quote inside an unquoted field");
                    field[fl++] = *s++;
                }
            }
            if (nf == 3 && records > 0) {
                FUZZ_CHECK(fl < sizeof path, "path field too long");
                memcpy(path, field, fl);
                path_len = fl;
            }
            if (nf == 4 && records > 0) {
                field[fl] = '\0';
                doc = strtol(field, NULL, 10);
            }
            nf++;
            FUZZ_CHECK(s < end, "record without a line end");
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '\r') s++;
            FUZZ_CHECK(s < end && *s == '\n', "bad character after a field");
            s++;
            break;
        }
        FUZZ_CHECK(nf == CSV_FIELDS, "record %zu has %zu fields", records, nf);
        if (records > 0) {
            FUZZ_CHECK(doc >= 0 && (size_t)doc < fd->n, "bad doc column");
            check_path(fd, (size_t)doc, path, path_len);
        }
        records++;
    }
    free(field);
    FUZZ_CHECK(records == members + 1, "%zu csv records for %zu members", records, members);
}

/* ---- text ---------------------------------------------------------------- */

static void check_text(const fuzz_buf *b) {
    FUZZ_CHECK(fuzz_valid_utf8((const uint8_t *)b->p, b->n), "text not UTF-8");
    for (size_t i = 0; i < b->n; i++) {
        unsigned char c = (unsigned char)b->p[i];
        FUZZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7F), "control byte %02x in text output", c);
        /* C1 controls U+0080..U+009F are C2 80..C2 9F */
        FUZZ_CHECK(!(c == 0xC2 && i + 1 < b->n && (unsigned char)b->p[i + 1] < 0xA0),
                   "C1 control in text output");
    }
}

/* ---- HTML ---------------------------------------------------------------- */

static int is_void(const char *t, size_t n) {
    static const char *const v[] = {"area",  "base", "br",   "col",    "embed", "hr",  "img",
                                    "input", "link", "meta", "source", "track", "wbr", NULL};
    for (size_t i = 0; v[i]; i++)
        if (strlen(v[i]) == n && strncasecmp(v[i], t, n) == 0) return 1;
    return 0;
}

static const char *check_entity(const char *s, const char *end) {
    const char *p = s + 1;
    if (p < end && *p == '#') {
        p++;
        int hex = p < end && (*p == 'x' || *p == 'X');
        if (hex) p++;
        const char *d = p;
        while (p < end && (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p))) p++;
        FUZZ_CHECK(p > d && p - d <= 8, "bad numeric character reference");
    } else {
        const char *d = p;
        while (p < end && isalnum((unsigned char)*p)) p++;
        FUZZ_CHECK(p > d && p - d <= 32, "bare '&' in HTML");
    }
    FUZZ_CHECK(p < end && *p == ';', "character reference without ';'");
    return p + 1;
}

static void check_html(const fuzz_buf *b) {
    const char *s = b->p, *end = b->p + b->n;
    const char *stack[64];
    size_t stack_len[64], depth = 0;
    FUZZ_CHECK(fuzz_valid_utf8((const uint8_t *)b->p, b->n), "html not UTF-8");
    while (s < end) {
        if (*s == '&') {
            s = check_entity(s, end);
            continue;
        }
        if (*s != '<') {
            s++;
            continue;
        }
        if (end - s >= 4 && memcmp(s, "<!--", 4) == 0) {
            const char *e = strstr(s + 4, "-->");
            FUZZ_CHECK(e != NULL, "unterminated comment");
            s = e + 3;
            continue;
        }
        if (end - s >= 2 && s[1] == '!') { /* <!DOCTYPE html> */
            const char *e = memchr(s, '>', (size_t)(end - s));
            FUZZ_CHECK(e != NULL, "unterminated doctype");
            s = e + 1;
            continue;
        }
        int closing = s + 1 < end && s[1] == '/';
        const char *t = s + 1 + closing, *te = t;
        while (te < end && (isalnum((unsigned char)*te) || *te == '-')) te++;
        FUZZ_CHECK(te > t && isalpha((unsigned char)*t), "'<' that does not start a tag");
        size_t tl = (size_t)(te - t);
        const char *p = te;
        int self_closing = 0;
        for (;;) { /* attributes */
            while (p < end && isspace((unsigned char)*p)) p++;
            FUZZ_CHECK(p < end, "unterminated tag");
            if (*p == '>') break;
            if (*p == '/' && p + 1 < end && p[1] == '>') {
                self_closing = 1;
                p++;
                break;
            }
            FUZZ_CHECK(!closing, "attributes on a closing tag");
            const char *a = p;
            while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == ':'))
                p++;
            FUZZ_CHECK(p > a, "bad attribute name in <%.*s>", (int)tl, t);
            if (p < end && *p == '=') {
                p++;
                FUZZ_CHECK(p < end && (*p == '"' || *p == '\''), "unquoted attribute value");
                char q = *p++;
                while (p < end && *p != q) {
                    FUZZ_CHECK(*p != '<', "'<' in an attribute value");
                    if (*p == '&')
                        p = check_entity(p, end);
                    else
                        p++;
                }
                FUZZ_CHECK(p < end, "unterminated attribute value");
                p++;
            }
        }
        s = p + 1;
        if (closing) {
            FUZZ_CHECK(depth > 0 && stack_len[depth - 1] == tl &&
                           strncasecmp(stack[depth - 1], t, tl) == 0,
                       "</%.*s> does not close the open element", (int)tl, t);
            depth--;
            continue;
        }
        if (self_closing || is_void(t, tl)) continue;
        if ((tl == 6 && strncasecmp(t, "script", 6) == 0) ||
            (tl == 5 && strncasecmp(t, "style", 5) == 0)) { /* raw text */
            char close[10];
            snprintf(close, sizeof close, "</%.*s", (int)tl, t);
            const char *e = strstr(s, close);
            FUZZ_CHECK(e != NULL, "unterminated <%.*s>", (int)tl, t);
            s = e;
            FUZZ_CHECK(depth < 64, "nesting too deep");
            stack[depth] = t;
            stack_len[depth++] = tl;
            continue;
        }
        FUZZ_CHECK(depth < 64, "nesting too deep");
        stack[depth] = t;
        stack_len[depth++] = tl;
    }
    FUZZ_CHECK(depth == 0, "%zu elements left open, innermost <%.*s>", depth,
               depth ? (int)stack_len[depth - 1] : 0, depth ? stack[depth - 1] : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_docs fd;
    if (size > (1u << 16)) return 0;
    fuzz_docs_parse(data, size, &fd);
    nd_report *r = fuzz_docs_scan(&fd, 1);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.preview = fd.len[0] % 64; /* 0 included */
    wo.top = 1 + fd.len[fd.n - 1] % 12;
    fuzz_buf b = {0};
    wo.emit_paragraphs = 1;
    fuzz_render(r, ND_FORMAT_JSON, &wo, &b);
    check_json(&fd, r, &b);
    fuzz_render(r, ND_FORMAT_JSONL, &wo, &b);
    check_jsonl(r, &b, 1);
    wo.emit_paragraphs = 0;
    fuzz_render(r, ND_FORMAT_JSONL, &wo, &b);
    check_jsonl(r, &b, 0);
    fuzz_render(r, ND_FORMAT_CSV, &wo, &b);
    check_csv(&fd, r, &b);
    fuzz_render(r, ND_FORMAT_TEXT, &wo, &b);
    check_text(&b);
    b.n = 0;
    nd_status st = nd_report_write(r, ND_FORMAT_HTML, &wo, fuzz_buf_write, &b);
    if (st != ND_ERR_INVALID) { /* ND_ERR_INVALID: the HTML writer is not built */
        FUZZ_CHECK(st == ND_OK, "html: %s", nd_strerror(st));
        fuzz_buf_write(&b, "", 0);
        check_html(&b);
    }
    free(b.p);
    nd_report_free(r);
    return 0;
}
