/* test_jsonl.c - JSON Lines records as documents: the parser (json-c, the
 * field located and decoded again, the offset map), the loader's container
 * hook (several documents from one file, in order, on any thread count),
 * and scans that treat a record like the same text in a plain file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "input.h"
#include "jsonl.h"
#include "support.h"
#include "text.h"

typedef struct diag_log {
    char lines[64][512];
    int n;
} diag_log;

static void on_diag(void *user, const nd_diag *d) {
    diag_log *log = user;
    if (log->n < 64)
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s|%s|%s", d->path,
                 nd_strerror(d->status), d->detail ? d->detail : "");
}

static void make_tmp(void) { nd_test_tmp_make("jsonl"); }
static void rm_tmp(void) { nd_test_tmp_remove(); }

#define at nd_test_tmp_at

static void put(const char *rel, const char *text) { nd_test_tmp_put(rel, text, strlen(text)); }

static void put_gz(const char *rel, const char *text) {
    gzFile g = gzopen(at(rel), "wb");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    gzclose(g);
}

/* Parses one line; on success *rec holds the record. */
static nd_status parse(const char *line, const char *id, nd_jsonl_rec *rec, const char **why) {
    nd_jsonl_parser *jp = NULL;
    cr_assert_eq(nd_jsonl_parser_new("text", id, &jp), ND_OK);
    nd_status st = nd_jsonl_parse(jp, (const uint8_t *)line, strlen(line), 0, rec, why);
    static char kept[160];
    if (*why) { /* the reason lives in the parser */
        snprintf(kept, sizeof kept, "%s", *why);
        *why = kept;
    }
    nd_jsonl_parser_free(jp);
    return st;
}

Test(jsonl, escapes_and_surrogate_pairs_decode_as_json_c_does) {
    /* a, é (raw), \n, \u00e9, 😀 as a surrogate pair, \" \\ \/ \t, 中 */
    const char *line = "{\"id\":1,\"text\":\"a\xc3\xa9\\n\\u00e9\\ud83d\\ude00\\\"\\\\\\/"
                       "\\t\\u4e2d\"}";
    nd_jsonl_rec rec;
    const char *why = NULL;
    cr_assert_eq(parse(line, NULL, &rec, &why), ND_OK, "%s", why ? why : "");
    const char want[] = "a\xc3\xa9\n\xc3\xa9\xf0\x9f\x98\x80\"\\/\t\xe4\xb8\xad";
    cr_assert_eq(rec.len, sizeof want - 1);
    cr_assert_eq(memcmp(rec.text, want, rec.len), 0);
    /* the field's JSON string, quotes included */
    size_t q = (size_t)(strstr(line, "\"text\":") - line) + 7;
    cr_assert_eq(rec.src_off, q);
    cr_assert_eq(rec.src_len, strlen(line) - 1 - q);
    /* every character's offset is where its JSON text starts */
    static const struct {
        size_t dec, orig;
    } m[] = {{0, 1},   {1, 2},   {3, 4},   {4, 6},   {6, 12}, {10, 24},
             {11, 26}, {12, 28}, {13, 30}, {14, 32}, {17, 38}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        cr_expect_eq(nd_decmap_orig(&rec.map, m[i].dec), q + m[i].orig, "dec %zu: %llu", m[i].dec,
                     (unsigned long long)nd_decmap_orig(&rec.map, m[i].dec));
    cr_expect_eq(nd_decmap_orig_size(&rec.map), q + 38);
    nd_jsonl_rec_release(&rec);
}

Test(jsonl, a_lone_surrogate_is_u_fffd_and_the_last_duplicate_key_wins) {
    nd_jsonl_rec rec;
    const char *why = NULL;
    cr_assert_eq(parse("{\"text\":\"x\",\"text\":\"a\\ud800b\"}", NULL, &rec, &why), ND_OK, "%s",
                 why ? why : "");
    cr_assert_eq(rec.len, 5);
    cr_assert_eq(memcmp(rec.text,
                        "a\xef\xbf\xbd"
                        "b",
                        5),
                 0);
    nd_jsonl_rec_release(&rec);
}

Test(jsonl, malformed_records_say_why) {
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"{\"text\":\"a\"", "bad JSON: the record ends early"},
        {"[1,2]", "not a JSON object"},
        {"\"text\"", "not a JSON object"},
        {"{\"txt\":\"a\"}", "no field \"text\""},
        {"{\"text\":5}", "field \"text\" is not a string"},
        {"{\"text\":null}", "field \"text\" is not a string"},
        {"{\"text\":\"a\"} x", NULL}, /* text after the value */
        {"{'text':'a'}", NULL},       /* strict: single quotes are not JSON */
        {"{\"text\":\"a\",}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nd_jsonl_rec rec;
        const char *why = NULL;
        cr_expect_eq(parse(bad[i].line, NULL, &rec, &why), ND_ERR_RECORD, "%s", bad[i].line);
        cr_assert_not_null(why);
        if (bad[i].why)
            cr_expect_str_eq(why, bad[i].why, "%s", bad[i].line);
        else
            cr_expect_eq(strncmp(why, "bad JSON: ", 10), 0, "%s: %s", bad[i].line, why);
        cr_expect_null(rec.text);
    }
    nd_jsonl_rec rec;
    const char *why = NULL;
    cr_expect_eq(parse("{\"text\":\"a\"}", "id", &rec, &why), ND_ERR_RECORD);
    cr_expect_str_eq(why, "no id field \"id\"");
    cr_expect_eq(parse("{\"text\":\"a\",\"id\":[1]}", "id", &rec, &why), ND_ERR_RECORD);
    cr_expect_str_eq(why, "id field \"id\" is not a string or number");
    /* invalid UTF-8 is text, as in plain files (U+FFFD when normalised) */
    cr_assert_eq(parse("{\"text\":\"a\xff\"}", NULL, &rec, &why), ND_OK);
    cr_assert_eq(rec.len, 2);
    nd_jsonl_rec_release(&rec);
    cr_assert_eq(parse("{\"text\":\"a\",\"id\":42}", "id", &rec, &why), ND_OK);
    cr_expect_str_eq(rec.id, "42");
    nd_jsonl_rec_release(&rec);
}

/* The hook: one file, several documents, each with its name, its text in
 * the spool and its place in the file; problems in their place; the same
 * documents and diagnostics on 1, 2 and 3 threads (with enough files for
 * the parallel loader). */
Test(jsonl, a_jsonl_file_is_one_document_per_record_on_any_thread_count, .init = make_tmp,
     .fini = rm_tmp) {
    cr_assert_eq(mkdir(at("d"), 0755), 0);
    char rel[64], text[512];
    for (int i = 0; i < 300; i++) {
        snprintf(rel, sizeof rel, "d/f%03d.%s", i, i % 3 ? "jsonl" : "txt");
        if (i % 3 == 0) {
            snprintf(text, sizeof text, "plain file %d\n", i);
        } else {
            snprintf(text, sizeof text,
                     "{\"text\":\"first record of %d\\nline two\"}\r\n"
                     "\n"
                     "{\"text\":%d}\n"
                     "{\"id\":\"x\",\"text\":\"third \\u00e9 %d\"}",
                     i, i, i);
        }
        put(rel, text);
    }
    put_gz("d/g.jsonl.gz", "{\"text\":\"gz one\"}\n{\"text\":\"gz two\"}\n");
    diag_log logs[3];
    nd_doctab dts[3];
    for (unsigned t = 0; t < 3; t++) {
        memset(&logs[t], 0, sizeof logs[t]);
        memset(&dts[t], 0, sizeof dts[t]);
        nd_input_cfg cfg = {.max_file_size = 1 << 20,
                            .diag = on_diag,
                            .user = &logs[t],
                            .threads = t + 1,
                            .jsonl_field = "text"};
        cr_assert_eq(nd_input_add_path(&dts[t], &cfg, at("d")), ND_OK);
        cr_assert_eq(cfg.skipped, 200u); /* one bad record a file */
    }
    cr_assert_eq(dts[0].n, 100u + 200u * 2 + 2);
    cr_assert_eq(dts[0].nconts, 201u);
    for (unsigned t = 1; t < 3; t++) {
        cr_assert_eq(dts[t].n, dts[0].n);
        for (size_t i = 0; i < dts[0].n; i++) {
            cr_assert_str_eq(dts[t].docs[i].path, dts[0].docs[i].path);
            cr_assert_eq(dts[t].docs[i].size, dts[0].docs[i].size);
            cr_assert_eq(dts[t].docs[i].cont, dts[0].docs[i].cont);
        }
        cr_assert_eq(logs[t].n, logs[0].n);
        for (int i = 0; i < logs[0].n; i++) cr_assert_str_eq(logs[t].lines[i], logs[0].lines[i]);
    }
    /* d/f000.txt, then f001.jsonl's records 1 and 4 */
    const nd_doc *d = &dts[0].docs[1];
    char want[512];
    snprintf(want, sizeof want, "%s:1", at("d/f001.jsonl"));
    cr_assert_str_eq(d->path, want);
    cr_assert_eq(d->cont, 1);
    cr_assert_str_eq(dts[0].conts[0].path, at("d/f001.jsonl"));
    cr_assert_eq(dts[0].conts[0].first, 1);
    cr_assert_eq(dts[0].conts[0].n, 2);
    cr_assert_eq(d->part_no, 1);
    cr_assert_eq(d->part_off, 0);
    cr_assert_eq(d->part_len, strlen("{\"text\":\"first record of 1\\nline two\"}"));
    cr_assert_eq(d->src_off, 8);
    cr_assert(d->spooled);
    cr_assert_null(d->data);
    snprintf(want, sizeof want, "%s:4", at("d/f001.jsonl"));
    cr_assert_str_eq(dts[0].docs[2].path, want);
    cr_assert_eq(dts[0].docs[2].part_no, 4);
    snprintf(want, sizeof want, "%s:3|malformed JSON Lines record|field \"text\" is not a string",
             at("d/f001.jsonl"));
    cr_assert_str_eq(logs[0].lines[0], want);
    /* the text reads back decoded; offsets map into the file */
    nd_reader rd;
    const uint8_t *b = NULL;
    nd_reader_init(&rd, &dts[0]);
    cr_assert_eq(nd_reader_whole(&rd, 1, &b), ND_OK);
    cr_assert_eq(memcmp(b, "first record of 1\nline two", d->size), 0);
    cr_assert_eq(nd_doc_orig_off(d, 17), 8 + 1 + 17); /* the \n */
    cr_assert_eq(nd_doc_orig_off(d, 18), 8 + 1 + 19); /* after it */
    cr_assert_eq(nd_doc_orig_size(d), strlen("first record of 1\\nline two"));
    cr_assert_eq(nd_reader_whole(&rd, 2, &b), ND_OK);
    cr_assert_eq(memcmp(b, "third \xc3\xa9 1", dts[0].docs[2].size), 0);
    /* the gzip container: offsets into the inflated stream */
    const nd_doc *g = &dts[0].docs[dts[0].n - 1];
    snprintf(want, sizeof want, "%s:2", at("d/g.jsonl.gz"));
    cr_assert_str_eq(g->path, want);
    cr_assert_eq(g->gzip, 1);
    cr_assert_eq(g->part_off, strlen("{\"text\":\"gz one\"}\n"));
    cr_assert_eq(nd_reader_whole(&rd, dts[0].n - 1, &b), ND_OK);
    cr_assert_eq(memcmp(b, "gz two", 6), 0);
    /* the container reads again, checked */
    uint8_t *all = NULL;
    size_t len = 0;
    cr_assert_eq(nd_container_read(&dts[0].conts[200], 1 << 20, &all, &len), ND_OK);
    cr_assert_eq(len, strlen("{\"text\":\"gz one\"}\n{\"text\":\"gz two\"}\n"));
    free(all);
    put("d/f001.jsonl", "{\"text\":\"changed\"}\n");
    cr_assert_eq(nd_container_read(&dts[0].conts[0], 1 << 20, &all, &len), ND_ERR_CHANGED);
    nd_reader_release(&rd);
    for (unsigned t = 0; t < 3; t++) nd_doctab_release(&dts[t]);
}

Test(jsonl, a_container_reached_twice_is_read_once_and_without_the_option_is_one_document,
     .init = make_tmp, .fini = rm_tmp) {
    put("a.jsonl", "{\"text\":\"one\"}\n{\"text\":\"two\"}\n");
    cr_assert_eq(symlink("a.jsonl", at("b.jsonl")), 0);
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {
        .max_file_size = 1 << 20, .diag = on_diag, .user = &log, .jsonl_field = "text"};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("a.jsonl")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("b.jsonl")), ND_OK);
    cr_assert_eq(dt.n, 2);
    cr_assert_eq(log.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s|success|the same file as '%s', read once", at("b.jsonl"),
             at("a.jsonl"));
    cr_assert_str_eq(log.lines[0], want);
    nd_doctab_release(&dt);
    memset(&dt, 0, sizeof dt);
    cfg.jsonl_field = NULL;
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("a.jsonl")), ND_OK);
    cr_assert_eq(dt.n, 1);
    cr_assert_eq(dt.nconts, 0);
    nd_doctab_release(&dt);
}

/* The measured failure: JSON written with \uXXXX escapes shared
 * nothing with the same text in a plain file. */
Test(jsonl, escaped_records_cluster_with_the_same_text_in_a_plain_file, .init = make_tmp,
     .fini = rm_tmp) {
    size_t len = 0;
    char *seed = nd_test_read_file(nd_test_seed_path("000_11051e509f6edff7.txt"), &len);
    cr_assert_not_null(seed);
    nd_test_tmp_put("plain.txt", seed, len);
    /* the whole text as one record, every non-ASCII character escaped */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "text", json_object_new_string_len(seed, (int)len));
    const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    FILE *f = fopen(at("r.jsonl"), "wb");
    cr_assert_not_null(f);
    fputs("{\"other\":1}\n", f);
    for (const unsigned char *p = (const unsigned char *)js; *p;) {
        size_t adv = 1;
        uint32_t cp = *p < 0x80 ? *p : nd_utf8_next(p, strlen((const char *)p), &adv);
        if (cp < 0x80)
            fputc((int)cp, f);
        else if (cp < 0x10000)
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                    (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3ff)));
        p += adv;
    }
    fputc('\n', f);
    fclose(f);
    json_object_put(o);
    nd_options opt;
    nd_options_default(&opt);
    snprintf(opt.jsonl_field, sizeof opt.jsonl_field, "text");
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, at("plain.txt")), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, at("r.jsonl")), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_assert_eq(nd_report_document_count(r), 2);
    nd_document_info a, b;
    cr_assert_eq(nd_report_document(r, 0, &a), ND_OK);
    cr_assert_eq(nd_report_document(r, 1, &b), ND_OK);
    cr_assert_eq(a.paragraphs, b.paragraphs);
    cr_assert_eq(a.chars, b.chars);
    cr_assert(b.elsewhere_chars * 10 >= b.chars * 9, "%llu of %llu",
              (unsigned long long)b.elsewhere_chars, (unsigned long long)b.chars);
    /* paragraph offsets are byte offsets of the file, where the escaped
     * text starts */
    size_t rlen = 0;
    char *raw = nd_test_read_file(at("r.jsonl"), &rlen);
    for (size_t i = 0; i < nd_report_paragraph_count(r); i++) {
        nd_paragraph_info pi;
        cr_assert_eq(nd_report_paragraph(r, i, &pi), ND_OK);
        if (pi.doc != 1) continue;
        cr_assert_lt(pi.offset + pi.length, rlen);
        cr_assert(raw[pi.offset] != '\\' || raw[pi.offset + 1] == 'u', "at %llu",
                  (unsigned long long)pi.offset);
        cr_assert(raw[pi.offset + pi.length] == '\\' || raw[pi.offset + pi.length] == '"');
    }
    free(raw);
    free(seed);
    nd_report_free(r);
    nd_scanner_free(sc);
}

/* ---- clean ---------------------------------------------------------------- */

/* Three records of a .jsonl: the second repeats two paragraphs of the first
 * (escaped as \uXXXX), the third repeats all of its text. */
static const char *const paras[] = {
    "The first paragraph is long enough to be compared by the scanner today.",
    "A second paragraph follows, with other words that make it different.",
    "Third paragraph: the ending of the first record is here, caf\xc3\xa9 time.",
};

static void put_records(void) {
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"id\":\"a\",\"text\":\"%s\\n%s\\n%s\",\"n\":[1,2]}\n"
             "{\"text\":\"%s\\n\\nnew words that stay here\\n%s\",\"id\":\"b\"}\r\n"
             "{\"id\":\"c\",\"text\":\"%s\"}\n",
             paras[0], paras[1], paras[2], paras[1],
             "Third paragraph: the ending of the first "
             "record is here, caf\\u00e9 time.",
             paras[0]);
    cr_assert_eq(mkdir(at("in"), 0755), 0);
    put("in/a.jsonl", buf);
}

static nd_report *scan_in(nd_scanner **sc, diag_log *log) {
    nd_options opt;
    nd_options_default(&opt);
    opt.split = ND_SPLIT_LINE;
    snprintf(opt.jsonl_field, sizeof opt.jsonl_field, "text");
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, sc), ND_OK);
    nd_scanner_set_diag(*sc, on_diag, log);
    cr_assert_eq(nd_scanner_add_path(*sc, at("in")), ND_OK);
    cr_assert_eq(nd_scanner_run(*sc, &r), ND_OK);
    return r;
}

/* The field's value of the cleaned record `line` (1-based) of FILE with
 * each logged text put back at its offset: the original value. */
Test(jsonl, clean_cuts_the_field_and_the_log_rebuilds_it, .init = make_tmp, .fini = rm_tmp) {
    put_records();
    for (int drop = 0; drop < 2; drop++) {
        diag_log log = {0};
        nd_scanner *sc = NULL;
        nd_report *r = scan_in(&sc, &log);
        nd_clean_options co;
        nd_clean_options_default(&co);
        co.drop_empty = drop;
        nd_clean_plan *p = NULL;
        cr_assert_eq(nd_clean_plan_new(r, &co, &p), ND_OK);
        const char *inputs[] = {at("in")};
        char out[256], logp[256];
        snprintf(out, sizeof out, "%s", at(drop ? "out2" : "out"));
        snprintf(logp, sizeof logp, "%s", at(drop ? "log2.jsonl" : "log.jsonl"));
        cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, logp, 0), ND_OK);
        cr_assert_eq(log.n, 0, "%s", log.lines[0]);
        size_t olen = 0, llen = 0;
        char opath[300];
        snprintf(opath, sizeof opath, "%s/a.jsonl", out);
        char *cleaned = nd_test_read_file(opath, &olen);
        char *lg = nd_test_read_file(logp, &llen);
        cr_assert_not_null(cleaned);
        cr_assert_not_null(lg);
        /* the output lines */
        char *lines[8] = {0};
        int nl = 0;
        for (char *s = cleaned; s && *s && nl < 8;) {
            lines[nl++] = s;
            char *e = strchr(s, '\n');
            if (!e) break;
            *e = '\0';
            s = e + 1;
        }
        cr_assert_eq(nl, drop ? 2 : 3, "%d lines", nl);
        /* record 1 is kept whole, byte for byte */
        cr_assert_eq(strncmp(lines[0], "{\"id\":\"a\",\"text\":\"The first", 27), 0);
        cr_assert(strstr(lines[0], ",\"n\":[1,2]}") != NULL);
        /* record 2: its field rebuilt from the log */
        json_object *rec = json_tokener_parse(lines[1]);
        cr_assert_not_null(rec);
        json_object *tv = NULL, *iv = NULL;
        cr_assert(json_object_object_get_ex(rec, "text", &tv));
        cr_assert(json_object_object_get_ex(rec, "id", &iv));
        cr_assert_str_eq(json_object_get_string(iv), "b");
        cr_assert_str_eq(json_object_get_string(tv), "new words that stay here\n");
        char text[2048];
        snprintf(text, sizeof text, "%s", json_object_get_string(tv));
        cr_assert(lines[1][strlen(lines[1]) - 1] == '\r'); /* its CR kept */
        int dropped = 0;
        for (char *s = lg; *s;) {
            char *e = strchr(s, '\n');
            cr_assert_not_null(e);
            *e = '\0';
            json_object *o = json_tokener_parse(s), *v = NULL;
            cr_assert_not_null(o, "%s", s);
            cr_assert(json_object_object_get_ex(o, "record", &v));
            int recno = json_object_get_int(v);
            if (json_object_object_get_ex(o, "dropped", &v)) {
                cr_assert_eq(recno, 3);
                cr_assert_eq(strncmp(json_object_get_string(v), "{\"id\":\"c\"", 9), 0);
                dropped++;
            } else if (recno == 2) {
                json_object *off = NULL, *t = NULL;
                cr_assert(json_object_object_get_ex(o, "offset", &off));
                cr_assert(json_object_object_get_ex(o, "text", &t));
                size_t at_ = (size_t)json_object_get_int64(off), n = strlen(text);
                const char *ins = json_object_get_string(t);
                cr_assert_leq(at_, n);
                memmove(text + at_ + strlen(ins), text + at_, n - at_ + 1);
                memcpy(text + at_, ins, strlen(ins));
            }
            json_object_put(o);
            s = e + 1;
        }
        cr_assert_eq(dropped, drop);
        char want[2048];
        snprintf(want, sizeof want, "%s\n\nnew words that stay here\n%s", paras[1], paras[2]);
        cr_assert_str_eq(text, want);
        json_object_put(rec);
        if (!drop) cr_assert_str_eq(lines[2], "{\"id\":\"c\",\"text\":\"\"}");
        free(cleaned);
        free(lg);
        nd_clean_plan_free(p);
        nd_report_free(r);
        nd_scanner_free(sc);
    }
}

/* The .jsonl changed between the scan and the writing: the file is left
 * out of the cleaned copy and reported once, by its own name. */
Test(jsonl, a_jsonl_file_changed_before_clean_writes_it_is_left_out, .init = make_tmp,
     .fini = rm_tmp) {
    put_records();
    put("in/z.txt", "The first paragraph is long enough to be compared by the scanner today.\n");
    diag_log log = {0};
    nd_scanner *sc = NULL;
    nd_report *r = scan_in(&sc, &log);
    nd_clean_plan *p = NULL;
    cr_assert_eq(nd_clean_plan_new(r, NULL, &p), ND_OK);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, at("in/a.jsonl"), ts, 0), 0);
    const char *inputs[] = {at("in")};
    char out[256];
    snprintf(out, sizeof out, "%s", at("out"));
    cr_assert_eq(nd_clean_write_tree(p, inputs, 1, out, NULL, 0), ND_OK);
    cr_assert_eq(log.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s|%s|", at("in/a.jsonl"), nd_strerror(ND_ERR_CHANGED));
    cr_assert_str_eq(log.lines[0], want);
    struct stat sb;
    cr_assert_neq(stat(at("out/a.jsonl"), &sb), 0);
    cr_assert_eq(stat(at("out/z.txt"), &sb), 0);
    nd_clean_plan_free(p);
    nd_report_free(r);
    nd_scanner_free(sc);
}

/* Found by fuzz_jsonl (tests/fuzz/regress/jsonl/surrogate-after-failed-
 * record): json-c's reset kept the high surrogate of a record that failed
 * inside a string, so the next record's lone surrogate decoded otherwise
 * and the record was refused ("cannot locate field"). */
Test(jsonl, a_record_after_one_that_failed_in_a_surrogate_pair_reads) {
    nd_jsonl_parser *jp = NULL;
    nd_jsonl_rec rec;
    const char *why = NULL;
    const char *bad = "{\"text\":\"x\\ud83d\\ud/\"}", *good = "{\"text\":\"\\ud800 lone\"}";
    cr_assert_eq(nd_jsonl_parser_new("text", NULL, &jp), ND_OK);
    cr_assert_eq(nd_jsonl_parse(jp, (const uint8_t *)bad, strlen(bad), 0, &rec, &why),
                 ND_ERR_RECORD);
    cr_assert_eq(nd_jsonl_parse(jp, (const uint8_t *)good, strlen(good), 0, &rec, &why), ND_OK,
                 "%s", why ? why : "");
    cr_assert_eq(rec.len, 8);
    cr_assert_eq(memcmp(rec.text, "\xef\xbf\xbd lone", 8), 0);
    nd_jsonl_rec_release(&rec);
    nd_jsonl_parser_free(jp);
}

/* A large file is read in chunks on several threads: the same documents,
 * names, places and problems, in the same order, as on one. */
Test(jsonl, a_large_file_reads_the_same_on_any_thread_count, .init = make_tmp, .fini = rm_tmp) {
    FILE *f = fopen(at("big.jsonl"), "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < 40000; i++) {
        if (i % 997 == 0)
            fprintf(f, "{\"text\":%d}\n", i);
        else if (i % 1009 == 0)
            fprintf(f, "\n");
        else
            fprintf(f,
                    "{\"id\":%d,\"text\":\"record %d \\u00e9 with some words to be long enough, "
                    "and more words: %d %d %d %d\\n%d\"}\r\n",
                    i, i, i * 7, i * 11, i * 13, i * 17, i);
    }
    fclose(f);
    diag_log logs[3];
    nd_doctab dts[3];
    for (unsigned t = 0; t < 3; t++) {
        memset(&logs[t], 0, sizeof logs[t]);
        memset(&dts[t], 0, sizeof dts[t]);
        nd_input_cfg cfg = {.max_file_size = 1 << 30,
                            .diag = on_diag,
                            .user = &logs[t],
                            .threads = t + 1,
                            .jsonl_field = "text"};
        cr_assert_eq(nd_input_add_path(&dts[t], &cfg, at("big.jsonl")), ND_OK);
        cr_assert_eq(cfg.skipped, 41u);
    }
    cr_assert_gt(dts[0].conts[0].n, 39000u);
    nd_reader rd0, rd;
    nd_reader_init(&rd0, &dts[0]);
    for (unsigned t = 1; t < 3; t++) {
        cr_assert_eq(dts[t].n, dts[0].n);
        nd_reader_init(&rd, &dts[t]);
        for (size_t i = 0; i < dts[0].n; i++) {
            const nd_doc *a = &dts[0].docs[i], *b = &dts[t].docs[i];
            cr_assert_str_eq(a->path, b->path);
            cr_assert_eq(a->part_no, b->part_no);
            cr_assert_eq(a->part_off, b->part_off);
            cr_assert_eq(a->src_off, b->src_off);
            cr_assert_eq(a->size, b->size);
            cr_assert_eq(nd_doc_orig_off(a, 3), nd_doc_orig_off(b, 3));
            if (i % 101 == 0) {
                const uint8_t *x = NULL, *y = NULL;
                cr_assert_eq(nd_reader_whole(&rd0, i, &x), ND_OK);
                cr_assert_eq(nd_reader_whole(&rd, i, &y), ND_OK);
                cr_assert_eq(memcmp(x, y, a->size), 0);
            }
        }
        nd_reader_release(&rd);
        cr_assert_eq(logs[t].n, logs[0].n);
        for (int i = 0; i < logs[0].n; i++) cr_assert_str_eq(logs[t].lines[i], logs[0].lines[i]);
    }
    /* every text reads back as its record says, whole and in windows
     * (the spool, over 1 MiB here, is read through its mapping) */
    for (size_t i = 0; i < dts[0].n; i++) {
        const nd_doc *a = &dts[0].docs[i];
        unsigned r = (unsigned)(a->part_no - 1); /* record r is on line r + 1 */
        char text[256];
        int n = snprintf(text, sizeof text,
                         "record %u \xc3\xa9 with some words to be long enough, and more "
                         "words: %u %u %u %u\n%u",
                         r, r * 7, r * 11, r * 13, r * 17, r);
        const uint8_t *x = NULL;
        cr_assert_eq(a->size, (size_t)n);
        cr_assert_eq(nd_reader_whole(&rd0, i, &x), ND_OK);
        cr_assert_eq(memcmp(x, text, (size_t)n), 0, "record %u", r);
        cr_assert_eq(nd_reader_get(&rd0, i, 7, 5, 0, &x), ND_OK);
        cr_assert_eq(memcmp(x, text + 7, 5), 0, "record %u, a window", r);
    }
    char want[512];
    snprintf(want, sizeof want, "%s:2", at("big.jsonl"));
    cr_assert_str_eq(dts[0].docs[0].path, want);
    nd_reader_release(&rd0);
    for (unsigned t = 0; t < 3; t++) nd_doctab_release(&dts[t]);
}

/* Found by fuzz_jsonl (tests/fuzz/regress/jsonl/no-record-no-docs): a file
 * of one malformed line appended a chunk with no documents, and the copy of
 * none added an offset to the null array (UBSan). */
Test(jsonl, a_file_without_records_has_problems_and_no_documents) {
    nd_doctab dt;
    memset(&dt, 0, sizeof dt);
    atomic_store(&dt.spool_failed, 1);
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .jsonl_field = "text"};
    nd_parts ps;
    memset(&ps, 0, sizeof ps);
    ps.cfg = &cfg;
    ps.dt = &dt;
    nd_jsonl_src src = {(const uint8_t *)"\xb8", -1, 1};
    cr_assert_eq(nd_jsonl_read(&cfg, "f", &src, 1, &ps), ND_OK);
    cr_assert_eq(ps.n, 0);
    cr_assert_eq(ps.nprobs, 1);
    cr_assert_str_eq(ps.probs[0].name, "f:1");
    nd_parts_release(&ps);
    nd_doctab_release(&dt);
}

/* A .jsonl that shrinks while its chunks are read is a change, not a
 * shorter file: nd_jsonl_read says ND_ERR_CHANGED (the loader then skips
 * the file and reports it). */
Test(jsonl, a_file_shorter_than_loaded_is_a_change, .init = make_tmp, .fini = rm_tmp) {
    put("s.jsonl", "{\"text\":\"one record\"}\n{\"text\":\"two\"}\n");
    int fd = open(at("s.jsonl"), O_RDONLY);
    cr_assert_geq(fd, 0);
    nd_doctab dt;
    memset(&dt, 0, sizeof dt);
    atomic_store(&dt.spool_failed, 1);
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .jsonl_field = "text"};
    nd_parts ps;
    memset(&ps, 0, sizeof ps);
    ps.cfg = &cfg;
    ps.dt = &dt;
    nd_jsonl_src src = {NULL, fd, 4096}; /* as if it had been 4096 bytes */
    cr_assert_eq(nd_jsonl_read(&cfg, "s.jsonl", &src, 1, &ps), ND_ERR_CHANGED);
    nd_parts_release(&ps);
    memset(&ps, 0, sizeof ps);
    ps.cfg = &cfg;
    ps.dt = &dt;
    src.len = 37; /* the real size */
    cr_assert_eq(nd_jsonl_read(&cfg, "s.jsonl", &src, 1, &ps), ND_OK);
    cr_assert_eq(ps.n, 2);
    cr_assert_str_eq(ps.docs[1].path, "s.jsonl:2");
    close(fd);
    nd_parts_release(&ps);
    nd_doctab_release(&dt);
}
