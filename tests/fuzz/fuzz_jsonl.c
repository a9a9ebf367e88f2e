/*
 * fuzz_jsonl.c - JSON Lines records (src/jsonl.c): json-c's parse, the
 * field located and decoded again, the offset map, and a whole file read
 * into documents through the loader's container hook (nd_parts).
 *
 * Input: one byte of flags (bit 0: name records by an "id" field; bit 1:
 * the field is "t" instead of "text"), then the file's bytes.  Checks, for
 * every line: a record parses (ND_OK) or is malformed (ND_ERR_RECORD, with
 * a reason), nothing else, and never "cannot locate" (the field's walk and
 * json-c agree); its JSON string lies inside the line between quotes; the
 * map starts after the opening quote, ends at the closing one and tiles
 * both texts (or, for a string without \u escapes, the escape list is in
 * order and of the right size); at every character boundary (the first
 * 64), the JSON text from the opening quote to the mapped offset, parsed by
 * json-c as a string, is exactly the text before the boundary (a naive
 * recomputation of the map).
 * For the whole file: nd_jsonl_read gives one document or one problem per
 * non-blank line, in order, with the texts and places of the line parse.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "input.h"
#include "jsonl.h"
#include "text.h"

static int is_blank_line(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

/* json-c's decoding of the JSON string contents s[0..n-1] (no quotes), or
 * NULL when json-c refuses it; *len its length. */
static char *json_c_string(json_tokener *tok, const uint8_t *s, size_t n, size_t *len) {
    char *buf = malloc(n + 2);
    FUZZ_CHECK(buf != NULL, "malloc");
    buf[0] = '"';
    memcpy(buf + 1, s, n);
    buf[n + 1] = '"';
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)(n + 2));
    free(buf);
    if (!o || !json_object_is_type(o, json_type_string)) {
        if (o) json_object_put(o);
        return NULL;
    }
    *len = (size_t)json_object_get_string_len(o);
    char *out = malloc(*len + 1);
    FUZZ_CHECK(out != NULL, "malloc");
    memcpy(out, json_object_get_string(o), *len);
    json_object_put(o);
    return out;
}

static void check_map(const nd_decmap *m, const nd_jsonl_rec *rec, uint64_t q0, uint64_t q1);
static void check_prefixes(json_tokener *tok, const uint8_t *line, uint64_t base,
                           const nd_jsonl_rec *rec, uint64_t q0, uint64_t q1);

static void check_record(json_tokener *tok, const uint8_t *line, size_t n, uint64_t base,
                         const nd_jsonl_rec *rec) {
    FUZZ_CHECK(rec->src_len >= 2 && rec->src_off + rec->src_len <= n, "string outside the line");
    FUZZ_CHECK(line[rec->src_off] == '"' && line[rec->src_off + rec->src_len - 1] == '"',
               "not a string");
    const nd_decmap *m = &rec->map;
    const nd_escmap *em = &rec->esc;
    uint64_t q0 = base + rec->src_off + 1, q1 = base + rec->src_off + rec->src_len - 1;
    if (em->on) { /* the escape list: ascending, inside the text, the right size */
        FUZZ_CHECK(m->n == 0, "two maps");
        FUZZ_CHECK(em->base == q0 && em->len == rec->len, "escape map does not start at the quote");
        FUZZ_CHECK(em->base + em->len + em->n == q1, "escape map does not end at the quote");
        for (size_t i = 0; i < em->n; i++)
            FUZZ_CHECK(em->pos[i] < em->len && (i == 0 || em->pos[i] > em->pos[i - 1]),
                       "escape %zu out of order", i);
    } else {
        check_map(m, rec, q0, q1);
    }
    check_prefixes(tok, line, base, rec, q0, q1);
}

static uint64_t rec_orig(const nd_jsonl_rec *rec, uint64_t dec) {
    return rec->esc.on ? nd_escmap_orig(&rec->esc, dec) : nd_decmap_orig(&rec->map, dec);
}

static void check_map(const nd_decmap *m, const nd_jsonl_rec *rec, uint64_t q0, uint64_t q1) {
    FUZZ_CHECK(m->n >= 1, "no sentinel");
    FUZZ_CHECK(m->seg[0].dec == 0 && m->seg[0].orig == q0, "map does not start after the quote");
    for (size_t i = 0; i + 1 < m->n; i++) {
        const nd_decmap_seg *a = &m->seg[i], *b = &m->seg[i + 1];
        FUZZ_CHECK(a->n > 0 && a->dw > 0, "empty segment %zu", i);
        FUZZ_CHECK(a->dec + (uint64_t)a->n * a->dw == b->dec, "decoded gap after %zu", i);
        FUZZ_CHECK(a->orig + (uint64_t)a->n * a->ow == b->orig, "original gap after %zu", i);
    }
    FUZZ_CHECK(m->seg[m->n - 1].dec == rec->len && m->seg[m->n - 1].orig == q1,
               "sentinel not at the closing quote");
}

/* The naive recomputation at character boundaries. */
static void check_prefixes(json_tokener *tok, const uint8_t *line, uint64_t base,
                           const nd_jsonl_rec *rec, uint64_t q0, uint64_t q1) {
    size_t checked = 0;
    for (size_t dec = 0; dec <= rec->len && checked < 64;) {
        uint64_t orig = rec_orig(rec, dec);
        FUZZ_CHECK(orig >= q0 && orig <= q1, "offset %llu outside the string",
                   (unsigned long long)orig);
        size_t len = 0;
        char *pre = json_c_string(tok, line + (q0 - base), (size_t)(orig - q0), &len);
        FUZZ_CHECK(pre != NULL, "json-c refuses the text before boundary %zu", dec);
        FUZZ_CHECK(len == dec && memcmp(pre, rec->text, dec) == 0,
                   "the text before boundary %zu is not %zu bytes of the record", dec, len);
        free(pre);
        checked++;
        if (dec == rec->len) break;
        size_t adv = 1;
        (void)nd_utf8_next(rec->text + dec, rec->len - dec, &adv);
        dec += adv ? adv : 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned flags = data[0];
    const char *field = flags & 2 ? "t" : "text", *id = flags & 1 ? "id" : NULL;
    size_t n = size - 1;
    uint8_t *src = malloc(n ? n : 1); /* exactly n bytes, for ASan */
    FUZZ_CHECK(src != NULL, "malloc");
    if (n) memcpy(src, data + 1, n);

    nd_jsonl_parser *jp = NULL;
    json_tokener *tok = json_tokener_new();
    FUZZ_CHECK(tok != NULL && nd_jsonl_parser_new(field, id, &jp) == ND_OK, "parser");

    /* the whole file through the hook (no spool: texts stay on the heap) */
    nd_doctab dt;
    memset(&dt, 0, sizeof dt);
    atomic_store(&dt.spool_failed, 1);
    nd_input_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_file_size = UINT64_MAX;
    cfg.jsonl_field = field;
    cfg.id_field = id;
    nd_parts ps;
    memset(&ps, 0, sizeof ps);
    ps.cfg = &cfg;
    ps.dt = &dt;
    nd_jsonl_src js = {src, -1, n};
    nd_status st = nd_jsonl_read(&cfg, "f", &js, 1, &ps);
    if (st == ND_OK) st = nd_parts_finish(&ps);
    FUZZ_CHECK(st == ND_OK || st == ND_ERR_NOMEM, "nd_jsonl_read: %d", (int)st);

    size_t docs = 0, probs = 0,
           bom = n >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF ? 3 : 0;
    for (size_t pos = bom; st == ND_OK && pos < n;) {
        const uint8_t *nl = memchr(src + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - src) : n, e = end;
        if (e > pos && src[e - 1] == '\r') e--;
        if (is_blank_line(src + pos, e - pos)) {
            pos = nl ? end + 1 : n;
            continue;
        }
        nd_jsonl_rec rec;
        const char *why = NULL;
        nd_status ls = nd_jsonl_parse(jp, src + pos, e - pos, pos, &rec, &why);
        if (ls == ND_ERR_NOMEM) break;
        FUZZ_CHECK(ls == ND_OK || ls == ND_ERR_RECORD, "status %d", (int)ls);
        if (ls == ND_ERR_RECORD) {
            FUZZ_CHECK(why && why[0], "no reason");
            /* json-c and the second decoding always agree */
            FUZZ_CHECK(strncmp(why, "cannot locate", 13) != 0, "%s", why);
            FUZZ_CHECK(probs < ps.nprobs && ps.probs[probs].before == docs, "problem not in order");
            probs++;
        } else {
            check_record(tok, src + pos, e - pos, pos, &rec);
            FUZZ_CHECK(docs < ps.n, "a record missing from the file's documents");
            const nd_doc *d = &ps.docs[docs];
            FUZZ_CHECK(d->size == rec.len &&
                           (rec.len == 0 || memcmp(d->data, rec.text, rec.len) == 0),
                       "document %zu is not its record", docs);
            FUZZ_CHECK(d->part_off == pos && d->part_len == e - pos &&
                           d->src_off == pos + rec.src_off && d->src_len == rec.src_len,
                       "document %zu is not in its place", docs);
            FUZZ_CHECK(nd_doc_orig_size(d) == rec.src_len - 2, "size of document %zu", docs);
            if (id)
                FUZZ_CHECK(rec.id && strcmp(d->path, rec.id) == 0, "name of document %zu", docs);
            docs++;
            nd_jsonl_rec_release(&rec);
        }
        pos = nl ? end + 1 : n;
    }
    if (st == ND_OK) FUZZ_CHECK(docs == ps.n && probs == ps.nprobs, "extra documents or problems");

    /* The same bytes read from a file descriptor (a chunk at a time with
     * pread, each chunk's last line read on past it, as scan reads a
     * .jsonl): the same documents and problems. */
    FILE *tf = st == ND_OK ? tmpfile() : NULL;
    if (tf && fwrite(src, 1, n, tf) == n && fflush(tf) == 0) {
        nd_parts pf;
        memset(&pf, 0, sizeof pf);
        pf.cfg = &cfg;
        pf.dt = &dt;
        nd_jsonl_src jf = {NULL, fileno(tf), n};
        nd_status sf = nd_jsonl_read(&cfg, "f", &jf, 1, &pf);
        if (sf == ND_OK) sf = nd_parts_finish(&pf);
        FUZZ_CHECK(sf == ND_OK || sf == ND_ERR_NOMEM, "nd_jsonl_read of a file: %d", (int)sf);
        if (sf == ND_OK) {
            FUZZ_CHECK(pf.n == ps.n && pf.nprobs == ps.nprobs, "a file read otherwise");
            for (size_t i = 0; i < pf.n; i++) {
                const nd_doc *a = &ps.docs[i], *b = &pf.docs[i];
                FUZZ_CHECK(a->size == b->size && a->part_off == b->part_off &&
                               a->part_len == b->part_len && a->part_no == b->part_no &&
                               (a->size == 0 || memcmp(a->data, b->data, a->size) == 0),
                           "document %zu of the file", i);
            }
            for (size_t i = 0; i < pf.nprobs; i++)
                FUZZ_CHECK(pf.probs[i].before == ps.probs[i].before &&
                               pf.probs[i].part_no == ps.probs[i].part_no,
                           "problem %zu of the file", i);
        }
        nd_parts_release(&pf);
    }
    if (tf) fclose(tf);
    nd_parts_release(&ps);
    nd_doctab_release(&dt);
    nd_jsonl_parser_free(jp);
    json_tokener_free(tok);
    free(src);
    return 0;
}
