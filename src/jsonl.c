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
 * Parsing.  Every line is parsed by json-c (strict mode),
 * which decides what is valid JSON and gives the field's value.  json-c
 * does not say where in the line a value was, and reports must give byte
 * offsets of the input file, so the field's JSON string is then found again
 * by a small scanner of the top-level object (locate: keys compared after
 * unescaping, other values skipped by bracket depth; the last occurrence of
 * a key wins, as it does in json-c), and walked once more to build the
 * offset map (unescape without output: a memchr per run of plain text).
 * The text is json-c's, lent to the parts' spool batch (written from where
 * it is, with the batch's other texts, by one pwritev()); the walk must
 * give its length (else the record is a problem, "cannot locate
 * the field"), and fuzz_jsonl checks the map against json-c's decoding of
 * every prefix (nd_jsonl_parse, the copying form, is what it calls).
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
 * length of the JSON string's contents.  Most text has no \u escape, only
 * \n, \" and the like, each one byte longer than its character; such a
 * record gets the lighter nd_escmap instead (the decoded offsets of its
 * escapes, 4 bytes each, against two 24-byte segments per escape: English
 * hard-wrapped at 70 columns would otherwise cost 0.6 bytes of map per
 * byte of text).  Maps are trimmed to their size.
 *
 * Where the text goes.  The decoded text - json-c's string, with the
 * object that holds it - is lent to nd_parts_add_borrowed, which writes a
 * batch of up to 1 MiB of texts into the doctab's private spool (an
 * unlinked file only neardup writes) with one pwritev() and then gives
 * the objects back, so no input text stays in anonymous memory and none is
 * copied on the way (a copy into the batch was 2 % of a scan of the 100 MB
 * Chinese bench corpus as JSON Lines); the split stage reads the texts
 * back through a mapping of the spool (input.c, spool_view); the map
 * and the record's place in the file (the line: part_off, part_len; the
 * JSON string: src_off, src_len) stay with the document for reports and
 * for clean, which writes the file back record by record (clean.c).
 *
 * UTF-8.  json-c's own UTF-8 check (JSON_TOKENER_VALIDATE_UTF8) made its
 * parse of Chinese text 40% slower and is not used: invalid UTF-8 in a
 * record is read as it is in a plain file (each bad byte U+FFFD when
 * normalised; clean writes a cut field with U+FFFD in its place).
 *
 * Chunks and threads.  A file is cut into chunks of ND_JSONL_CHUNK bytes;
 * a chunk holds the lines that start in it (each read to its end, past
 * the chunk if need be), and is read (a plain file with pread() into a
 * buffer of its own, so the file is never held whole and never read
 * twice here) and parsed as one task, on the loader's threads when the
 * file is loaded on the calling thread.  Line numbers are counted per
 * chunk and made absolute, and records named, when the chunks' parts are
 * appended in order (name_parts, nd_parts_append), so names, ids and
 * diagnostics never depend on the thread count.
 *
 * Throughput.  json-c parses long text fields at 220-430 MB/s on the bench
 * machine and the second pass costs a memchr for plain text; see
 * bench/README.md ("JSON Lines input") for the measured cost against plain
 * files.
 */
#include "jsonl.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "nd_internal.h"
#include "pool.h"
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
    json_tokener_set_flags(jp->tok, JSON_TOKENER_STRICT);
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
    if (rec->owner)
        json_object_put(rec->owner); /* it holds text */
    else
        free(rec->text);
    free(rec->id);
    nd_decmap_release(&rec->map);
    nd_escmap_release(&rec->esc);
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

/* Decodes the contents of the JSON string s[a..b-1] (between the quotes)
 * into out (room for b - a bytes: a string never grows when decoded; NULL:
 * only measured); with m, the map from out to s + base is built.  *len is the decoded length.
 * Escapes were validated by json-c; a lone surrogate becomes U+FFFD. */
static nd_status unescape(const uint8_t *s, size_t a, size_t b, uint8_t *out, size_t *len,
                          nd_decmap *m, uint64_t base) {
    uint64_t dec = 0, orig = base + a;
    size_t o = 0, i = a;
    while (i < b) {
        const uint8_t *bs = memchr(s + i, '\\', b - i);
        size_t run = bs ? (size_t)(bs - s) - i : b - i;
        if (run) {
            if (out) memcpy(out + o, s + i, run);
            o += run;
            i += run;
            if (m) ND_TRY(nd_decmap_add(m, &dec, &orig, 1, 1, run));
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
            if (out) out[o] = one;
            o++;
            i += 2;
            if (m) ND_TRY(nd_decmap_add(m, &dec, &orig, 1, 2, 1));
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
        uint8_t tmp[4];
        size_t w = nd_utf8_encode(cp, out ? out + o : tmp);
        o += w;
        i += ow;
        if (m) ND_TRY(nd_decmap_add(m, &dec, &orig, (unsigned)w, ow, 1));
    }
    *len = o;
    if (m) { /* the sentinel, at the closing quote */
        ND_TRY(ND_GROW(m->seg, m->cap, m->n + 1));
        m->seg[m->n++] = (nd_decmap_seg){dec, orig, 0, 0, 0, 0};
    }
    return ND_OK;
}

/* The escape map (decode.h) of the JSON string contents s[a..b-1], whose
 * original starts at base + a, and its decoded length: ND_ERR_FORMAT when
 * it holds a \u escape (the caller then builds an nd_decmap) or is longer
 * than an nd_escmap takes. */
static nd_status escapes(const uint8_t *s, size_t a, size_t b, size_t *len, nd_escmap *m,
                         uint64_t base) {
    size_t o = 0;
    memset(m, 0, sizeof *m);
    if (b - a >= UINT32_MAX) return ND_ERR_FORMAT;
    for (size_t i = a; i < b;) {
        const uint8_t *bs = memchr(s + i, '\\', b - i);
        if (!bs) {
            o += b - i;
            break;
        }
        size_t k = (size_t)(bs - s);
        o += k - i;
        if (k + 1 >= b || s[k + 1] == 'u') return ND_ERR_FORMAT;
        ND_TRY(ND_GROW(m->pos, m->cap, m->n + 1));
        m->pos[m->n++] = (uint32_t)o;
        o++;
        i = k + 2;
    }
    m->base = base + a;
    m->len = o;
    m->on = 1;
    *len = o;
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

/* nd_jsonl_parse; with copy 0, out->text is not copied but points into
 * json-c's object, which out->owner holds (nd_jsonl_rec_release puts it). */
static nd_status parse_line(nd_jsonl_parser *jp, const uint8_t *line, size_t len, uint64_t base,
                            nd_jsonl_rec *out, const char **why, int copy) {
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
        json_tokener_set_flags(fresh, JSON_TOKENER_STRICT);
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
    /* the map, from the field's JSON text; the text is json-c's (the two
     * decodings agree: fuzz_jsonl checks the map against json-c) */
    st = escapes(line, f0 + 1, f1 - 1, &out->len, &out->esc, base);
    if (st == ND_ERR_FORMAT) { /* a \uXXXX escape: the general map */
        nd_escmap_release(&out->esc);
        st = unescape(line, f0 + 1, f1 - 1, NULL, &out->len, &out->map, base);
    }
    if (st == ND_ERR_NOMEM) goto out;
    if (st != ND_OK || out->len != want_len) {
        *why = reason(jp, "cannot locate field \"", jp->field, "\"");
        st = ND_ERR_RECORD;
        goto out;
    }
    if (copy) {
        if (!(out->text = malloc(want_len ? want_len : 1))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        memcpy(out->text, want, want_len);
    } else {
        out->text = (uint8_t *)(uintptr_t)want; /* held by the object */
        out->owner = obj;
        obj = NULL;
    }
    /* trimmed */
    if (out->esc.cap > out->esc.n && out->esc.n) {
        uint32_t *pos = realloc(out->esc.pos, out->esc.n * sizeof *pos);
        if (pos) {
            out->esc.pos = pos;
            out->esc.cap = out->esc.n;
        }
    }
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
    if (st != ND_OK) nd_jsonl_rec_release(out); /* (the owner too, if set) */
    return st;
}

nd_status nd_jsonl_parse(nd_jsonl_parser *jp, const uint8_t *line, size_t len, uint64_t base,
                         nd_jsonl_rec *out, const char **why) {
    return parse_line(jp, line, len, base, out, why, 1);
}

/* ---- A whole file ----------------------------------------------------------
 */

/* Gives a record's json-c object back (nd_parts_add_borrowed's release). */
static void put_object(void *obj) { json_object_put(obj); }

/* "path:line", malloc'ed. */
static char *record_name(const char *path, uint64_t line) {
    size_t n = strlen(path) + 24;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s:%llu", path, (unsigned long long)line);
    return s;
}

/* Reads the lines of b[0..n-1], which are the bytes at offset `base` of
 * the file (base at a line start), into ps; offsets in the documents are
 * the file's, line numbers (part_no) count from 1 at b and are made
 * absolute by the caller, which also names the parts that have no id
 * (path NULL) and the problems (name NULL).  *lines gets the lines read. */
static nd_status read_range(const nd_input_cfg *cfg, const char *path, const uint8_t *b, size_t n,
                            uint64_t base, uint64_t *lines, nd_parts *ps) {
    nd_status st = ND_OK;
    nd_jsonl_parser *jp = NULL;
    nd_jsonl_rec rec;
    ND_UNUSED(path);
    memset(&rec, 0, sizeof rec);
    ND_TRY(nd_jsonl_parser_new(cfg->jsonl_field, cfg->id_field, &jp));
    uint64_t lineno = 0;
    for (size_t pos = 0; pos < n;) {
        const uint8_t *nl = memchr(b + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - b) : n, next = nl ? end + 1 : n;
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
        st = parse_line(jp, b + pos, e - pos, base + pos, &rec, &why, 0);
        if (st == ND_ERR_RECORD) {
            ND_CHECK(nd_parts_problem(ps, NULL, ND_ERR_RECORD, why));
            ps->probs[ps->nprobs - 1].part_no = lineno;
            st = ND_OK;
            pos = next;
            continue;
        }
        ND_CHECK(st);
        nd_doc doc;
        memset(&doc, 0, sizeof doc);
        doc.path = rec.id; /* or NULL: named by its line later */
        rec.id = NULL;
        const uint8_t *text = rec.text; /* json-c's, lent to the batch */
        void *owner = rec.owner;
        rec.owner = NULL;
        doc.size = rec.len;
        doc.map = rec.map;
        doc.esc = rec.esc;
        rec.text = NULL;
        memset(&rec.map, 0, sizeof rec.map);
        memset(&rec.esc, 0, sizeof rec.esc);
        doc.part_no = lineno;
        doc.part_off = base + pos;
        doc.part_len = e - pos;
        doc.src_off = base + pos + rec.src_off;
        doc.src_len = rec.src_len;
        nd_jsonl_rec_release(&rec);
        ND_CHECK(nd_parts_add_borrowed(ps, &doc, text, put_object, owner));
        pos = next;
    }
    *lines = lineno;
out:
    nd_jsonl_rec_release(&rec);
    nd_jsonl_parser_free(jp);
    return st;
}

/* A file is read in chunks of about this many bytes, cut at line ends:
 * one task each, on `threads` threads when there are several. */
#ifndef ND_JSONL_CHUNK /* (fuzz builds make it small, so chunks meet lines) */
#define ND_JSONL_CHUNK ((size_t)4 << 20)
#endif
/* Room kept past a chunk for the end of its last line, and how much of it
 * is read first. */
#ifndef ND_JSONL_SLACK
#define ND_JSONL_SLACK ((uint64_t)256 << 10)
#endif
#ifndef ND_JSONL_STEP
#define ND_JSONL_STEP ((uint64_t)4096)
#endif

typedef struct chunk {
    uint64_t lines; /* lines that start in it */
    nd_parts parts;
} chunk;

typedef struct read_job {
    const nd_input_cfg *cfg;
    const char *path;
    const nd_jsonl_src *src;
    size_t bom;
    size_t nch;
    chunk *ch;
} read_job;

/* pread() of exactly len bytes at off; 0, or -1 (short: the file changed,
 * or an error). */
static int pread_exact(int fd, uint8_t *buf, size_t len, uint64_t off) {
    for (size_t n = 0; n < len;) {
        ssize_t r = pread(fd, buf + n, len - n, (off_t)(off + n));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        n += (size_t)r;
    }
    return 0;
}

/* Chunk t holds the lines that start in [bom + t * ND_JSONL_CHUNK, + that)
 * (the last one: to the end); each runs to its line end, past the chunk's
 * end if need be.  A file's chunk is read from the byte before its start
 * (a line starts at the start if that byte is a LF) to the line end after
 * its end. */
static nd_status chunk_task(void *ctx, size_t t, unsigned worker) {
    read_job *job = ctx;
    chunk *c = &job->ch[t];
    const nd_jsonl_src *src = job->src;
    nd_status st = ND_OK;
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t len = src->len, from = job->bom + (uint64_t)t * ND_JSONL_CHUNK;
    uint64_t to = t + 1 == job->nch ? len : ND_MIN(len, from + ND_JSONL_CHUNK);
    uint64_t lo = t == 0 ? from : from - 1, hi; /* the window [lo, hi) */
    const uint8_t *w;
    ND_UNUSED(worker);
    if (src->mem) {
        w = src->mem + lo;
        hi = len;
    } else {
        /* to the chunk's end first, then on to a line end, reading 4 KiB
         * (ND_JSONL_STEP) past it, then twice as much each time, into room kept for
         * ND_JSONL_SLACK past it (a record crosses the chunk's end in most
         * chunks: growing the whole buffer by its size each time copied
         * and read again 4 MiB a chunk, 2 % of a scan of 55 KB records) */
        uint64_t k0 = to > lo ? to - 1 : lo, step = ND_JSONL_STEP;
        hi = ND_MIN(len, to + step);
        cap = (size_t)(ND_MAX(hi, ND_MIN(len, to + ND_JSONL_SLACK)) - lo);
        if (!(buf = malloc(cap ? cap : 1))) return ND_ERR_NOMEM;
        if (pread_exact(src->fd, buf, (size_t)(hi - lo), lo) != 0) {
            st = ND_ERR_CHANGED;
            goto out;
        }
        while (hi < len && !memchr(buf + (k0 - lo), '\n', (size_t)(hi - k0))) {
            step *= 2;
            uint64_t more = ND_MIN(len - hi, step);
            if ((size_t)(hi - lo) + more > cap) {
                size_t ncap = ND_MAX(2 * cap, (size_t)(hi - lo + more));
                uint8_t *nb = realloc(buf, ncap);
                if (!nb) {
                    st = ND_ERR_NOMEM;
                    goto out;
                }
                buf = nb;
                cap = ncap;
            }
            if (pread_exact(src->fd, buf + (hi - lo), (size_t)more, hi) != 0) {
                st = ND_ERR_CHANGED;
                goto out;
            }
            k0 = hi;
            hi += more;
        }
        w = buf;
    }
    /* the first line that starts in the chunk, and the end of the last */
    uint64_t first = from;
    if (t > 0) {
        const uint8_t *nl = memchr(w, '\n', (size_t)(hi - lo));
        first = nl ? lo + (uint64_t)(nl - w) + 1 : len;
    }
    if (first >= to) goto out; /* no line starts here */
    uint64_t end = len;
    const uint8_t *nl = memchr(w + (to - 1 - lo), '\n', (size_t)(hi - (to - 1)));
    if (nl) end = lo + (uint64_t)(nl - w) + 1;
    ND_CHECK(read_range(job->cfg, job->path, w + (first - lo), (size_t)(end - first), first,
                        &c->lines, &c->parts));
    st = nd_parts_finish(&c->parts);
out:
    free(buf);
    return st;
}

/* Numbers chunk c's parts from line0 + 1 and names those without an id
 * (and its problems) "path:LINE". */
static nd_status name_parts(const char *path, chunk *c, uint64_t line0) {
    nd_parts *ps = &c->parts;
    for (size_t i = 0; i < ps->n; i++) {
        nd_doc *d = &ps->docs[i];
        d->part_no += line0;
        if (!d->path && !(d->path = record_name(path, d->part_no))) return ND_ERR_NOMEM;
    }
    for (size_t i = 0; i < ps->nprobs; i++) {
        nd_part_problem *p = &ps->probs[i];
        p->part_no += line0;
        if (!p->name && !(p->name = record_name(path, p->part_no))) return ND_ERR_NOMEM;
    }
    return ND_OK;
}

nd_status nd_jsonl_read(const nd_input_cfg *cfg, const char *path, const nd_jsonl_src *src,
                        unsigned threads, nd_parts *ps) {
    nd_status st = ND_OK;
    nd_pool *pool = NULL;
    chunk *ch = NULL;
    size_t nch = 0, bom = 0;
    uint8_t head[3] = {0, 0, 0};
    /* a UTF-8 byte-order mark before the first record is no part of it */
    if (src->len >= 3) {
        if (src->mem)
            memcpy(head, src->mem, 3);
        else if (pread_exact(src->fd, head, 3, 0) != 0)
            return ND_ERR_CHANGED;
        bom = head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
    }
    if (src->len <= bom) return ND_OK;
    nch = (size_t)((src->len - bom + ND_JSONL_CHUNK - 1) / ND_JSONL_CHUNK);
    if (!(ch = nd_calloc(nch, sizeof *ch))) return ND_ERR_NOMEM;
    for (size_t k = 0; k < nch; k++) {
        ch[k].parts.cfg = ps->cfg;
        ch[k].parts.dt = ps->dt;
    }
    read_job job = {cfg, path, src, bom, nch, ch};
    if (threads > 1 && nch > 1) {
        ND_CHECK(nd_pool_new(threads, &pool));
        ND_CHECK(nd_pool_run(pool, nch, chunk_task, &job, NULL));
    } else {
        for (size_t k = 0; k < nch; k++) ND_CHECK(chunk_task(&job, k, 0));
    }
    uint64_t line0 = 0;
    for (size_t k = 0; k < nch; k++) {
        ND_CHECK(name_parts(path, &ch[k], line0));
        line0 += ch[k].lines;
        ND_CHECK(nd_parts_append(ps, &ch[k].parts));
    }
out:
    nd_pool_free(pool);
    for (size_t k = 0; k < nch; k++) nd_parts_release(&ch[k].parts);
    free(ch);
    return st;
}
