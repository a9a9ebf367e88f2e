/*
 * jsonl.c - JSON Lines records as documents.
 *
 * What.  With nd_options.jsonl_field set (`--jsonl text`), a file named
 * *.jsonl or *.jsonl.gz is a container (input.c, "Containers"): every line
 * is one record, and the record's field - a JSON string - is one document,
 * named "FILE:LINE" (LINE 1-based, counting every LF), or by the value of
 * nd_options.id_field when that is set (a string as it is, a number as
 * written).  Blank lines are no records and pass silently; any other line
 * that is not a JSON object with the field as a string (bad JSON, another
 * value, the field missing or not a string, an id field missing or not a
 * string or number) is one problem, ND_ERR_RECORD with the reason, reported
 * under "FILE:LINE" and skipped; the rest goes on.  Lines end at LF (a CR
 * before it is no part of the record); a UTF-8 byte-order mark at the start
 * of the file is skipped.  JSON is UTF-8 (RFC 8259): no other encoding is
 * detected, and invalid UTF-8 makes a record malformed.
 *
 * Parsing.  Every line is parsed by json-c (strict mode, UTF-8 validated),
 * which decides what is valid JSON and gives the field's value.  json-c
 * does not say where in the line a value was, and reports must give byte
 * offsets of the input file, so the field's JSON string is then found again
 * by a small scanner of the top-level object (locate: keys compared after
 * unescaping, other values skipped by bracket depth; the last occurrence of
 * a key wins, as it does in json-c), and decoded here once more while the
 * offset map is built.  The two decodings must agree byte for byte (else
 * the record is a problem, "cannot locate the field"); fuzz_jsonl checks
 * that they always do.  A string without a backslash - most text - costs a
 * memchr and a copy.
 *
 * The offset map (decode.h's nd_decmap, shared with the encoding decoder)
 * turns an offset in the decoded text into the offset in the container's
 * bytes where that character's JSON text starts: a run of unescaped bytes
 * is a run of dw = ow = 1 (offsets inside a multi-byte character map into
 * it, which is exact at every boundary), an escape such as \n or \" is
 * dw 1, ow 2, a \uXXXX is dw 1-3, ow 6, and a surrogate pair \uD83D\uDE00
 * is dw 4, ow 12.  A lone surrogate decodes to U+FFFD (dw 3, ow 6), as
 * json-c does.  The map's first segment starts after the opening quote and
 * its sentinel sits at the closing quote, so nd_doc_orig_size is the
 * length of the JSON string's contents.  The map is trimmed to its size: a
 * record of plain text costs two segments (48 bytes).
 *
 * Where the text goes.  The decoded text is handed to nd_parts_add, which
 * batches texts into the doctab's private spool (an unlinked file only
 * neardup writes), so no input text stays in anonymous memory; the map
 * and the record's place in the file (the line: part_off, part_len; the
 * JSON string: src_off, src_len) stay with the document for reports and
 * for clean, which writes the file back record by record (clean.c).
 *
 * Throughput.  json-c parses long text fields at about 430 MB/s on the
 * bench machine and the second pass costs a memchr for plain text; see
 * bench/README.md for the measured cost against plain files.
 */
#include "jsonl.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "nd_internal.h"
#include "text.h"

struct nd_jsonl_parser {
    json_tokener *tok;
    const char *field, *id_field; /* borrowed */
    size_t field_len, id_len;
    uint8_t *key; /* an unescaped key */
    size_t key_cap;
    char why[160]; /* the last reason */
};

nd_status nd_jsonl_parser_new(const char *field, const char *id_field, nd_jsonl_parser **out) {
    nd_jsonl_parser *jp = nd_calloc(1, sizeof *jp);
    if (!jp) return ND_ERR_NOMEM;
    jp->tok = json_tokener_new();
    if (!jp->tok) {
        free(jp);
        return ND_ERR_NOMEM;
    }
    json_tokener_set_flags(jp->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    jp->field = field ? field : "";
    jp->id_field = id_field && id_field[0] ? id_field : NULL;
    jp->field_len = strlen(jp->field);
    jp->id_len = jp->id_field ? strlen(jp->id_field) : 0;
    *out = jp;
    return ND_OK;
}

void nd_jsonl_parser_free(nd_jsonl_parser *jp) {
    if (!jp) return;
    json_tokener_free(jp->tok);
    free(jp->key);
    free(jp);
}

void nd_jsonl_rec_release(nd_jsonl_rec *rec) {
    free(rec->text);
    free(rec->id);
    nd_decmap_release(&rec->map);
    memset(rec, 0, sizeof *rec);
}

/* ---- The scanner of the top-level object -------------------------------- */

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static size_t skip_ws(const uint8_t *s, size_t n, size_t i) {
    while (i < n && is_ws(s[i])) i++;
    return i;
}

/* s[i] is the opening quote of a string: the index past its closing quote,
 * or n. */
static size_t string_end(const uint8_t *s, size_t n, size_t i) {
    for (i++; i < n;) {
        const uint8_t *q = memchr(s + i, '"', n - i);
        if (!q) return n;
        size_t k = (size_t)(q - s), b = k;
        while (b > i && s[b - 1] == '\\') b--;
        if ((k - b) % 2 == 0) return k + 1; /* an even run of backslashes */
        i = k + 1;
    }
    return n;
}

/* The index past the value starting at s[i] (already valid JSON). */
static size_t value_end(const uint8_t *s, size_t n, size_t i) {
    if (i >= n) return n;
    if (s[i] == '"') return string_end(s, n, i);
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            uint8_t c = s[i];
            if (c == '"') {
                i = string_end(s, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            i++;
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i])) i++;
    return i;
}

static unsigned hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f') return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (unsigned)(c - 'A' + 10);
    return 16;
}

/* The code unit of \uXXXX at s[i] (s[i] == '\\'), or UINT32_MAX. */
static uint32_t u_escape(const uint8_t *s, size_t n, size_t i) {
    if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u') return UINT32_MAX;
    uint32_t v = 0;
    for (size_t k = 2; k < 6; k++) {
        unsigned h = hexval(s[i + k]);
        if (h > 15) return UINT32_MAX;
        v = v << 4 | h;
    }
    return v;
}

/* Appends `count` characters of widths (dw, ow) at (*dec, *orig). */
static nd_status map_add(nd_decmap *m, uint64_t *dec, uint64_t *orig, unsigned dw, unsigned ow,
                         uint64_t count) {
    while (count) {
        nd_decmap_seg *last = m->n ? &m->seg[m->n - 1] : NULL;
        if (!last || last->dw != dw || last->ow != ow || last->n == UINT32_MAX) {
            ND_TRY(ND_GROW(m->seg, m->cap, m->n + 1));
            m->seg[m->n++] = (nd_decmap_seg){*dec, *orig, 0, (uint8_t)dw, (uint8_t)ow, 0};
            continue;
        }
        uint64_t take = ND_MIN(count, (uint64_t)(UINT32_MAX - last->n));
        last->n += (uint32_t)take;
        *dec += take * dw;
        *orig += take * ow;
        count -= take;
    }
    return ND_OK;
}

/* Decodes the contents of the JSON string s[a..b-1] (between the quotes)
 * into out (room for b - a bytes: a string never grows when decoded); with
 * m, the map from out to s + base is built.  *len is the decoded length.
 * Escapes were validated by json-c; a lone surrogate becomes U+FFFD. */
static nd_status unescape(const uint8_t *s, size_t a, size_t b, uint8_t *out, size_t *len,
                          nd_decmap *m, uint64_t base) {
    uint64_t dec = 0, orig = base + a;
    size_t o = 0, i = a;
    while (i < b) {
        const uint8_t *bs = memchr(s + i, '\\', b - i);
        size_t run = bs ? (size_t)(bs - s) - i : b - i;
        if (run) {
            memcpy(out + o, s + i, run);
            o += run;
            i += run;
            if (m) ND_TRY(map_add(m, &dec, &orig, 1, 1, run));
        }
        if (i >= b) break;
        if (i + 1 >= b) return ND_ERR_FORMAT;
        uint8_t c = s[i + 1], one = 0;
        switch (c) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': break;
        default: return ND_ERR_FORMAT;
        }
        if (c != 'u') {
            out[o++] = one;
            i += 2;
            if (m) ND_TRY(map_add(m, &dec, &orig, 1, 2, 1));
            continue;
        }
        uint32_t cp = u_escape(s, b, i);
        unsigned ow = 6;
        if (cp == UINT32_MAX) return ND_ERR_FORMAT;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = u_escape(s, b, i + 6);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                ow = 12;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        size_t w = nd_utf8_encode(cp, out + o);
        o += w;
        i += ow;
        if (m) ND_TRY(map_add(m, &dec, &orig, (unsigned)w, ow, 1));
    }
    *len = o;
    if (m) { /* the sentinel, at the closing quote */
        ND_TRY(ND_GROW(m->seg, m->cap, m->n + 1));
        m->seg[m->n++] = (nd_decmap_seg){dec, orig, 0, 0, 0, 0};
    }
    return ND_OK;
}

/* Is the key string s[a..b-1] (between the quotes) equal to name[0..nl-1]
 * once unescaped? */
static nd_status key_is(nd_jsonl_parser *jp, const uint8_t *s, size_t a, size_t b, const char *name,
                        size_t nl, int *eq) {
    *eq = 0;
    if (!memchr(s + a, '\\', b - a)) {
        *eq = b - a == nl && memcmp(s + a, name, nl) == 0;
        return ND_OK;
    }
    size_t len = 0;
    ND_TRY(ND_GROW(jp->key, jp->key_cap, b - a + 1));
    if (unescape(s, a, b, jp->key, &len, NULL, 0) != ND_OK) return ND_OK;
    *eq = len == nl && memcmp(jp->key, name, nl) == 0;
    return ND_OK;
}

/* Finds the value tokens of the field and the id field (the last of each)
 * in the object line[0..len-1]: [*f0, *f1) and [*i0, *i1), 0 when absent. */
static nd_status locate(nd_jsonl_parser *jp, const uint8_t *s, size_t n, size_t *f0, size_t *f1,
                        size_t *i0, size_t *i1) {
    size_t i = skip_ws(s, n, 0);
    *f0 = *f1 = *i0 = *i1 = 0;
    if (i >= n || s[i] != '{') return ND_OK;
    i = skip_ws(s, n, i + 1);
    while (i < n && s[i] == '"') {
        size_t ke = string_end(s, n, i);
        int is_field = 0, is_id = 0;
        ND_TRY(key_is(jp, s, i + 1, ke - 1, jp->field, jp->field_len, &is_field));
        if (jp->id_field) ND_TRY(key_is(jp, s, i + 1, ke - 1, jp->id_field, jp->id_len, &is_id));
        i = skip_ws(s, n, ke);
        if (i >= n || s[i] != ':') return ND_OK;
        i = skip_ws(s, n, i + 1);
        size_t ve = value_end(s, n, i);
        if (is_field) {
            *f0 = i;
            *f1 = ve;
        }
        if (is_id) {
            *i0 = i;
            *i1 = ve;
        }
        i = skip_ws(s, n, ve);
        if (i >= n || s[i] != ',') break;
        i = skip_ws(s, n, i + 1);
    }
    return ND_OK;
}

/* pre + name + post, kept in jp->why. */
static const char *reason(nd_jsonl_parser *jp, const char *pre, const char *name,
                          const char *post) {
    snprintf(jp->why, sizeof jp->why, "%s%s%s", pre, name, post);
    return jp->why;
}

nd_status nd_jsonl_parse(nd_jsonl_parser *jp, const uint8_t *line, size_t len, uint64_t base,
                         nd_jsonl_rec *out, const char **why) {
    nd_status st = ND_OK;
    json_object *obj = NULL, *fv = NULL, *iv = NULL;
    size_t f0, f1, i0, i1;
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (len > INT_MAX) {
        *why = "record longer than 2 GiB";
        return ND_ERR_RECORD;
    }
    json_tokener_reset(jp->tok);
    obj = json_tokener_parse_ex(jp->tok, (const char *)line, (int)len);
    enum json_tokener_error je = json_tokener_get_error(jp->tok);
    if (je != json_tokener_success) {
        /* json-c 0.16's reset keeps a pending high surrogate of a string
         * that failed (found by fuzz_jsonl): a failed parse gets a new
         * tokener */
        json_tokener *fresh = json_tokener_new();
        if (!fresh) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        json_tokener_set_flags(fresh, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_tokener_free(jp->tok);
        jp->tok = fresh;
    }
    if (!obj && je == json_tokener_continue) {
        *why = "bad JSON: the record ends early";
        st = ND_ERR_RECORD;
        goto out;
    }
    if (!obj && je == json_tokener_success) {
        *why = "not a JSON object";
        st = ND_ERR_RECORD;
        goto out;
    }
    if (!obj || je != json_tokener_success) {
        *why = reason(jp, "bad JSON: ", json_tokener_error_desc(je), "");
        st = ND_ERR_RECORD;
        goto out;
    }
    for (size_t k = json_tokener_get_parse_end(jp->tok); k < len; k++) {
        if (!is_ws(line[k])) {
            *why = "bad JSON: text after the value";
            st = ND_ERR_RECORD;
            goto out;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        *why = "not a JSON object";
        st = ND_ERR_RECORD;
        goto out;
    }
    if (!json_object_object_get_ex(obj, jp->field, &fv)) {
        *why = reason(jp, "no field \"", jp->field, "\"");
        st = ND_ERR_RECORD;
        goto out;
    }
    if (!json_object_is_type(fv, json_type_string)) {
        *why = reason(jp, "field \"", jp->field, "\" is not a string");
        st = ND_ERR_RECORD;
        goto out;
    }
    if (jp->id_field) {
        if (!json_object_object_get_ex(obj, jp->id_field, &iv)) {
            *why = reason(jp, "no id field \"", jp->id_field, "\"");
            st = ND_ERR_RECORD;
            goto out;
        }
        json_type t = json_object_get_type(iv);
        if (t == json_type_string) {
            out->id = nd_strdup(json_object_get_string(iv));
        } else if (t == json_type_int || t == json_type_double) {
            out->id = nd_strdup(json_object_to_json_string_ext(iv, JSON_C_TO_STRING_PLAIN));
        } else {
            *why = reason(jp, "id field \"", jp->id_field, "\" is not a string or number");
            st = ND_ERR_RECORD;
            goto out;
        }
        if (!out->id) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    ND_CHECK(locate(jp, line, len, &f0, &f1, &i0, &i1));
    const char *want = json_object_get_string(fv);
    size_t want_len = (size_t)json_object_get_string_len(fv);
    if (f1 < f0 + 2 || line[f0] != '"' || line[f1 - 1] != '"') {
        *why = reason(jp, "cannot locate field \"", jp->field, "\"");
        st = ND_ERR_RECORD;
        goto out;
    }
    if (!(out->text = malloc(f1 - f0))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    st = unescape(line, f0 + 1, f1 - 1, out->text, &out->len, &out->map, base);
    if (st == ND_ERR_NOMEM) goto out;
    if (st != ND_OK || out->len != want_len || memcmp(out->text, want, want_len) != 0) {
        *why = reason(jp, "cannot locate field \"", jp->field, "\"");
        st = ND_ERR_RECORD;
        goto out;
    }
    /* trimmed: most maps are two segments */
    if (out->map.cap > out->map.n) {
        nd_decmap_seg *seg = realloc(out->map.seg, out->map.n * sizeof *seg);
        if (seg) {
            out->map.seg = seg;
            out->map.cap = out->map.n;
        }
    }
    out->src_off = f0;
    out->src_len = f1 - f0;
out:
    if (obj) json_object_put(obj);
    if (st != ND_OK) nd_jsonl_rec_release(out);
    return st;
}

/* ---- A whole file ----------------------------------------------------------
 */

/* "path:line", malloc'ed. */
static char *record_name(const char *path, uint64_t line) {
    size_t n = strlen(path) + 24;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s:%llu", path, (unsigned long long)line);
    return s;
}

nd_status nd_jsonl_read(const nd_input_cfg *cfg, const char *path, const uint8_t *b, size_t len,
                        nd_parts *ps) {
    nd_status st = ND_OK;
    nd_jsonl_parser *jp = NULL;
    char *name = NULL;
    nd_jsonl_rec rec;
    memset(&rec, 0, sizeof rec);
    ND_TRY(nd_jsonl_parser_new(cfg->jsonl_field, cfg->id_field, &jp));
    uint64_t lineno = 0;
    /* a UTF-8 byte-order mark before the first record is no part of it */
    size_t bom = len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0;
    for (size_t pos = bom; pos < len;) {
        const uint8_t *nl = memchr(b + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - b) : len, next = nl ? end + 1 : len;
        size_t e = end;
        lineno++;
        if (e > pos && b[e - 1] == '\r') e--;
        size_t k = pos;
        while (k < e && is_ws(b[k])) k++;
        if (k == e) { /* a blank line: no record */
            pos = next;
            continue;
        }
        const char *why = NULL;
        free(name);
        if (!(name = record_name(path, lineno))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        st = nd_jsonl_parse(jp, b + pos, e - pos, pos, &rec, &why);
        if (st == ND_ERR_RECORD) {
            ND_CHECK(nd_parts_problem(ps, name, ND_ERR_RECORD, why));
            st = ND_OK;
            pos = next;
            continue;
        }
        ND_CHECK(st);
        nd_doc doc;
        memset(&doc, 0, sizeof doc);
        doc.path = rec.id ? rec.id : name;
        if (rec.id)
            rec.id = NULL;
        else
            name = NULL;
        doc.heap = rec.text;
        doc.data = rec.text;
        doc.size = rec.len;
        doc.map = rec.map;
        rec.text = NULL;
        memset(&rec.map, 0, sizeof rec.map);
        doc.part_no = lineno;
        doc.part_off = pos;
        doc.part_len = e - pos;
        doc.src_off = pos + rec.src_off;
        doc.src_len = rec.src_len;
        nd_jsonl_rec_release(&rec);
        ND_CHECK(nd_parts_add(ps, &doc));
        pos = next;
    }
out:
    nd_jsonl_rec_release(&rec);
    free(name);
    nd_jsonl_parser_free(jp);
    return st;
}
