/*
 * write_json.c - the "jsonl" and "json" formats (documented in write.c).
 *
 * Both formats share the record writers below; a record is written with a
 * leading "type" member for jsonl and without it for json.
 *
 * Paths.  A document's path is written in its document record, once per
 * cluster member and twice per overlap.  Each path is escaped once, before
 * the records, into one buffer (json_paths), and records copy it from there:
 * re-reading and re-escaping the scattered path strings (a cache miss per
 * cluster member, and a strlen) was about a third of the jsonl writer's time
 * on the 1 GB benchmark corpus.
 *
 * Threads.  A record is a pure function of the report, so the records of
 * each kind are formatted on a pool of as many threads as the scan used
 * (nd_timings.threads; pool.c), ND_JSON_TASK records per task, every task
 * into its own memory buffer, ND_JSON_BATCH tasks at a time; the main thread
 * then writes the batch's buffers to the sink in task order.  The bytes are
 * those of a sequential run whatever the thread count, and what is buffered
 * is bounded by the batch, not by the report.  Tasks and batches are small
 * - 64 records a task (some 40 KB of cluster records), ND_JSON_SLOTS tasks
 * a thread - because every buffer is fresh memory, faulted in page by page
 * at each write: with 256 records a task and 32 tasks a batch the buffers
 * grew to 256 KiB each, past glibc's initial mmap threshold (128 KiB), so
 * that each was mapped anew (the bench, whose runs keep that threshold:
 * one-per-line English, report stage 0.14 -> 0.07 s and 4,877 -> 3,461
 * page faults a scan; the records are the same bytes).
 */
#include "write.h"

#include <errno.h>
#include <string.h>

#include "nd_internal.h"
#include "pool.h"
#include "report.h"

#define SHARE_DECIMALS 4

/* Opens a record: "{" and, for jsonl, the "type" member. */
static nd_status open_record(nd_sink *s, const char *type) {
    ND_TRY(nd_sink_putc(s, '{'));
    if (!type) return ND_OK;
    ND_TRY(nd_sink_puts(s, "\"type\":\""));
    ND_TRY(nd_sink_puts(s, type));
    return nd_sink_puts(s, "\",");
}

/* key is the literal text before the value, e.g. ",\"bytes\":". */
static nd_status put_share(nd_sink *s, const char *key, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_fixed(s, nd_share_units(num, den, SHARE_DECIMALS), SHARE_DECIMALS);
}

static nd_status put_unit(nd_sink *s, const char *key, double v) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_fixed(s, nd_unit_units(v, SHARE_DECIMALS), SHARE_DECIMALS);
}

/* Every document's path as a JSON string literal: document d's is
 * buf[off[d] .. off[d + 1]). */
typedef struct json_paths {
    nd_membuf mb;
    size_t *off; /* documents + 1 */
    int text;    /* ND_EMIT_TEXT: members and paragraphs carry their text */
} json_paths;

static void paths_release(json_paths *jp) {
    free(jp->mb.buf);
    free(jp->off);
}

static nd_status paths_build(const nd_report *r, json_paths *jp) {
    nd_status st = ND_OK;
    size_t nd = nd_report_document_count(r);
    nd_sink ps;
    memset(jp, 0, sizeof *jp);
    if (!(jp->off = nd_mallocn(nd + 1, sizeof *jp->off))) return ND_ERR_NOMEM;
    ND_TRY(nd_sink_open(&ps, nd_membuf_append, &jp->mb));
    for (size_t d = 0; d < nd; d++) {
        nd_document_info di;
        ND_CHECK(nd_report_document(r, d, &di));
        const char *path = di.path ? di.path : "";
        jp->off[d] = jp->mb.len + ps.len;
        ND_CHECK(nd_sink_json_string(&ps, path, strlen(path)));
    }
    jp->off[nd] = jp->mb.len + ps.len;
    ND_CHECK(nd_sink_flush(&ps));
out:
    if (st == ND_ERR_IO) st = ND_ERR_NOMEM; /* the only failure of nd_membuf_append */
    nd_sink_release(&ps);
    return st;
}

static nd_status put_path(nd_sink *s, const char *key, const json_paths *jp, size_t doc) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_write(s, jp->mb.buf + jp->off[doc], jp->off[doc + 1] - jp->off[doc]);
}

static const char *split_name(unsigned split) {
    switch (split) {
    case ND_SPLIT_LINE: return "line";
    case ND_SPLIT_BLANK: return "blank";
    default: return "auto";
    }
}

/* Seconds in microseconds, rounded (NaN and negatives -> 0). */
static uint64_t seconds_units(double v) {
    if (!(v > 0.0)) return 0;
    if (v >= 1e12) return UINT64_C(1000000000000000000);
    return (uint64_t)(v * 1e6 + 0.5);
}

/* ,"stats":{...}: the run's nd_timings (nd_write_options.stats). */
static nd_status stats_member(const nd_report *r, nd_sink *s) {
    nd_timings tm;
    ND_TRY(nd_report_timings(r, &tm));
    ND_TRY(nd_sink_field_u64(s, ",\"stats\":{\"threads\":", tm.threads));
    ND_TRY(nd_sink_puts(s, ",\"seconds\":{"));
    for (int st = 0; st < ND_STAGE_COUNT_; st++) {
        ND_TRY(nd_sink_puts(s, st ? ",\"" : "\""));
        ND_TRY(nd_sink_puts(s, nd_stage_name((nd_stage)st)));
        ND_TRY(nd_sink_puts(s, "\":"));
        ND_TRY(nd_sink_fixed(s, seconds_units(tm.stage[st]), 6));
    }
    ND_TRY(nd_sink_puts(s, ",\"total\":"));
    ND_TRY(nd_sink_fixed(s, seconds_units(tm.total), 6));
    ND_TRY(nd_sink_puts(s, "},\"peak_rss_bytes\":{"));
    for (int st = 0; st < ND_STAGE_COUNT_; st++) {
        ND_TRY(nd_sink_puts(s, st ? ",\"" : "\""));
        ND_TRY(nd_sink_puts(s, nd_stage_name((nd_stage)st)));
        ND_TRY(nd_sink_field_u64(s, "\":", tm.peak_rss[st]));
    }
    ND_TRY(nd_sink_field_u64(s, "},\"memory_limit\":", tm.memory_limit));
    ND_TRY(nd_sink_field_u64(s, ",\"spill_runs\":", tm.spill_runs));
    ND_TRY(nd_sink_field_u64(s, ",\"spill_bytes\":", tm.spill_bytes));
    return nd_sink_putc(s, '}');
}

static nd_status summary_record(const nd_report *r, const nd_write_options *wo, nd_sink *s,
                                const char *type) {
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"files\":", sm.files));
    ND_TRY(nd_sink_field_u64(s, ",\"skipped\":", sm.skipped));
    ND_TRY(nd_sink_field_u64(s, ",\"split_line\":", sm.split_line));
    ND_TRY(nd_sink_field_u64(s, ",\"split_blank\":", sm.split_blank));
    ND_TRY(nd_sink_field_u64(s, ",\"bytes\":", sm.bytes));
    ND_TRY(nd_sink_field_u64(s, ",\"paragraphs\":", sm.paragraphs));
    ND_TRY(nd_sink_field_u64(s, ",\"short_paragraphs\":", sm.short_paragraphs));
    uint64_t comparable = nd_wr_comparable_total(r);
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", sm.chars));
    ND_TRY(nd_sink_field_u64(s, ",\"comparable_chars\":", comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"clustered_paragraphs\":", sm.clustered_paragraphs));
    ND_TRY(nd_sink_field_u64(s, ",\"clusters\":", sm.clusters));
    ND_TRY(nd_sink_field_u64(s, ",\"duplicated_chars\":", sm.duplicated_chars));
    ND_TRY(put_share(s, ",\"duplicated_share\":", sm.duplicated_chars, comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"candidate_pairs\":", sm.candidate_pairs));
    ND_TRY(nd_sink_field_u64(s, ",\"verified_pairs\":", sm.verified_pairs));
    ND_TRY(nd_sink_field_u64(s, ",\"common_clusters\":", sm.common_clusters));
    if (sm.passages) {
        ND_TRY(nd_sink_field_u64(s, ",\"passages\":", sm.passage_records));
        ND_TRY(nd_sink_field_u64(s, ",\"common_passages\":", sm.common_passages));
    }
    ND_TRY(put_unit(s, ",\"params\":{\"threshold\":", sm.threshold));
    ND_TRY(nd_sink_field_u64(s, ",\"num_perm\":", sm.num_perm));
    ND_TRY(nd_sink_field_u64(s, ",\"bands\":", sm.bands));
    ND_TRY(nd_sink_field_u64(s, ",\"rows\":", sm.rows));
    ND_TRY(nd_sink_field_u64(s, ",\"shingle\":", sm.shingle));
    ND_TRY(nd_sink_field_u64(s, ",\"common_docs\":", sm.common_docs));
    if (sm.passages) ND_TRY(nd_sink_field_u64(s, ",\"min_passage\":", sm.min_passage));
    ND_TRY(nd_sink_putc(s, '}'));
    if (wo->stats) ND_TRY(stats_member(r, s));
    return nd_sink_putc(s, '}');
}

static nd_status document_record(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                                 const char *type) {
    nd_document_info d;
    ND_TRY(nd_report_document(r, i, &d));
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"doc\":", i));
    ND_TRY(put_path(s, ",\"path\":", jp, i));
    ND_TRY(nd_sink_field_u64(s, ",\"bytes\":", d.bytes));
    ND_TRY(nd_sink_field_u64(s, ",\"paragraphs\":", d.paragraphs));
    uint64_t comparable = nd_wr_comparable(r, i);
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", d.chars));
    ND_TRY(nd_sink_field_u64(s, ",\"comparable_chars\":", comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"elsewhere_chars\":", d.elsewhere_chars));
    ND_TRY(put_share(s, ",\"elsewhere_share\":", d.elsewhere_chars, comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"within_chars\":", d.within_chars));
    ND_TRY(put_share(s, ",\"within_share\":", d.within_chars, comparable));
    ND_TRY(nd_sink_field_str(s, ",\"split\":", split_name(d.split)));
    ND_TRY(nd_sink_puts(s, d.gzip ? ",\"gzip\":true" : ",\"gzip\":false"));
    ND_TRY(nd_sink_field_str(s, ",\"encoding\":", d.encoding));
    return nd_sink_putc(s, '}');
}

/* ,"text":"..." - paragraph i's text (ND_EMIT_TEXT). */
static nd_status put_text(const nd_report *r, size_t i, nd_sink *s) {
    const char *text = NULL;
    size_t len = 0;
    ND_TRY(nd_report_paragraph_text(r, i, &text, &len));
    ND_TRY(nd_sink_puts(s, ",\"text\":"));
    return nd_sink_json_string(s, text, len);
}

/* A skipped input: path, reason (the errno's words for an input/output
 * error, else the status's), errno (0 if none), detail (or null). */
static nd_status skipped_record(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                                const char *type) {
    nd_diag d;
    char why[128];
    const char *reason;
    ND_UNUSED(jp);
    ND_TRY(nd_report_skipped(r, i, &d));
    reason = nd_strerror(d.status);
    /* strerror_r (XSI): records are written on several threads */
    if (d.status == ND_ERR_IO && d.sys_errno > 0 && strerror_r(d.sys_errno, why, sizeof why) == 0)
        reason = why;
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_str(s, "\"path\":", d.path));
    ND_TRY(nd_sink_field_str(s, ",\"reason\":", reason));
    ND_TRY(nd_sink_field_str(s, ",\"status\":", nd_strerror(d.status)));
    ND_TRY(nd_sink_field_u64(s, ",\"errno\":", (uint64_t)(d.sys_errno > 0 ? d.sys_errno : 0)));
    if (d.detail)
        ND_TRY(nd_sink_field_str(s, ",\"detail\":", d.detail));
    else
        ND_TRY(nd_sink_puts(s, ",\"detail\":null"));
    return nd_sink_putc(s, '}');
}

static nd_status paragraph_record(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                                  const char *type) {
    nd_paragraph_info p;
    ND_TRY(nd_report_paragraph(r, i, &p));
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"id\":", i));
    ND_TRY(put_path(s, ",\"path\":", jp, p.doc));
    ND_TRY(nd_sink_field_u64(s, ",\"doc\":", p.doc));
    ND_TRY(nd_sink_field_u64(s, ",\"line\":", p.line));
    ND_TRY(nd_sink_field_u64(s, ",\"offset\":", p.offset));
    ND_TRY(nd_sink_field_u64(s, ",\"length\":", p.length));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", p.chars));
    double sim = 0.0;
    if (p.cluster >= 0) {
        nd_cluster_info c;
        ND_TRY(nd_report_cluster(r, (size_t)p.cluster, &c));
        sim = c.members[0] == i ? 1.0 : p.similarity; /* the representative */
        ND_TRY(nd_sink_field_u64(s, ",\"cluster\":", (uint64_t)p.cluster));
    } else {
        ND_TRY(nd_sink_puts(s, ",\"cluster\":null"));
    }
    ND_TRY(put_unit(s, ",\"similarity\":", sim));
    if (jp->text) ND_TRY(put_text(r, i, s));
    return nd_sink_putc(s, '}');
}

static nd_status cluster_record(const nd_report *r, const json_paths *jp, size_t k, nd_sink *s,
                                const char *type) {
    nd_cluster_info c;
    ND_TRY(nd_report_cluster(r, k, &c));
    nd_report_prefetch_cluster(r, k + 2);
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"id\":", k));
    ND_TRY(nd_sink_field_u64(s, ",\"size\":", c.size));
    ND_TRY(nd_sink_field_u64(s, ",\"documents\":", c.documents));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", c.chars));
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    int common = sm.common_docs && c.documents > sm.common_docs;
    ND_TRY(nd_sink_puts(s, common ? ",\"common\":true" : ",\"common\":false"));
    ND_TRY(nd_sink_puts(s, ",\"members\":["));
    for (size_t m = 0; m < c.size; m++) {
        nd_paragraph_info p;
        ND_TRY(nd_report_paragraph(r, c.members[m], &p));
        if (m) ND_TRY(nd_sink_putc(s, ','));
        ND_TRY(nd_sink_field_u64(s, "{\"paragraph\":", c.members[m]));
        ND_TRY(put_path(s, ",\"path\":", jp, p.doc));
        ND_TRY(nd_sink_field_u64(s, ",\"doc\":", p.doc));
        ND_TRY(nd_sink_field_u64(s, ",\"line\":", p.line));
        ND_TRY(nd_sink_field_u64(s, ",\"offset\":", p.offset));
        ND_TRY(nd_sink_field_u64(s, ",\"length\":", p.length));
        ND_TRY(put_unit(s, ",\"similarity\":", m == 0 ? 1.0 : p.similarity));
        if (jp->text) ND_TRY(put_text(r, c.members[m], s));
        ND_TRY(nd_sink_putc(s, '}'));
    }
    return nd_sink_puts(s, "]}");
}

static nd_status overlap_record(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                                const char *type) {
    nd_overlap_info o;
    ND_TRY(nd_report_overlap(r, i, &o));
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"a\":", o.a));
    ND_TRY(nd_sink_field_u64(s, ",\"b\":", o.b));
    ND_TRY(put_path(s, ",\"path_a\":", jp, o.a));
    ND_TRY(put_path(s, ",\"path_b\":", jp, o.b));
    ND_TRY(nd_sink_field_u64(s, ",\"a_in_b_chars\":", o.a_in_b));
    ND_TRY(put_share(s, ",\"a_in_b_share\":", o.a_in_b, nd_wr_comparable(r, o.a)));
    ND_TRY(nd_sink_field_u64(s, ",\"b_in_a_chars\":", o.b_in_a));
    ND_TRY(put_share(s, ",\"b_in_a_share\":", o.b_in_a, nd_wr_comparable(r, o.b)));
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    /* with --passages the overlaps come from the passages */
    ND_TRY(nd_sink_field_u64(s, sm.passages ? ",\"passages\":" : ",\"clusters\":", o.clusters));
    return nd_sink_putc(s, '}');
}

static nd_status passage_record(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                                const char *type) {
    nd_passage_record_info pi;
    ND_TRY(nd_report_passage(r, i, &pi));
    ND_TRY(open_record(s, type));
    ND_TRY(nd_sink_field_u64(s, "\"id\":", i));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", pi.chars));
    ND_TRY(nd_sink_puts(s, pi.common ? ",\"common\":true" : ",\"common\":false"));
    ND_TRY(put_unit(s, ",\"similarity\":", pi.similarity));
    ND_TRY(nd_sink_field_u64(s, ",\"documents\":", pi.documents));
    ND_TRY(nd_sink_puts(s, ",\"locations\":["));
    for (size_t j = 0; j < pi.places; j++) {
        nd_passage_place pl;
        ND_TRY(nd_report_passage_place(r, i, j, &pl));
        if (j) ND_TRY(nd_sink_putc(s, ','));
        ND_TRY(put_path(s, "{\"path\":", jp, pl.doc));
        ND_TRY(nd_sink_field_u64(s, ",\"doc\":", pl.doc));
        ND_TRY(nd_sink_field_u64(s, ",\"line\":", pl.line));
        ND_TRY(nd_sink_field_u64(s, ",\"offset\":", pl.offset));
        ND_TRY(nd_sink_field_u64(s, ",\"length\":", pl.length));
        ND_TRY(nd_sink_putc(s, '}'));
    }
    const char *text = NULL;
    size_t len = 0;
    ND_TRY(nd_report_passage_text(r, i, 0, &text, &len));
    ND_TRY(nd_sink_puts(s, "],\"text\":"));
    ND_TRY(nd_sink_json_string(s, text, len));
    return nd_sink_putc(s, '}');
}

typedef nd_status (*record_fn)(const nd_report *r, const json_paths *jp, size_t i, nd_sink *s,
                               const char *type);

/* The record kinds in output order; kind_on says which are written. */
static const struct {
    const char *type;  /* jsonl "type" */
    const char *array; /* json member name */
    size_t (*count)(const nd_report *r);
    record_fn write;
} kinds[] = {
    {"skipped", "skipped", nd_report_skipped_count, skipped_record},
    {"document", "documents", nd_report_document_count, document_record},
    {"paragraph", "paragraphs", nd_report_paragraph_count, paragraph_record},
    {"cluster", "clusters", nd_report_cluster_count, cluster_record},
    {"overlap", "overlaps", nd_report_overlap_count, overlap_record},
    {"passage", "passages", nd_report_passage_count, passage_record},
};

/* Whether kind k is written: paragraphs with emit_paragraphs, passages
 * when the scan looked for them. */
static int kind_on(const nd_report *r, const nd_write_options *wo, size_t k) {
    nd_summary sm;
    if (kinds[k].write == paragraph_record) return wo->emit_paragraphs & ND_EMIT_PARAGRAPHS;
    if (kinds[k].write == passage_record) return nd_report_summary(r, &sm) == ND_OK && sm.passages;
    return 1;
}

#define ND_JSON_TASK  64 /* records per task */
#define ND_JSON_BATCH 64 /* tasks whose buffers are held at once, at most */
#define ND_JSON_SLOTS 4  /* and per thread */

/* A task's output: a sink in front of a growing buffer. */
typedef struct json_slot {
    nd_sink sink;
    nd_membuf mb;
} json_slot;

/* The records of one kind, and everything a task needs to write them. */
typedef struct json_job {
    const nd_report *r;
    const json_paths *jp;
    record_fn write;
    const char *type; /* jsonl: the record type; json: NULL */
    size_t n;         /* records */
    size_t first;     /* first task of the current batch */
    size_t batch;     /* tasks a batch: ND_JSON_SLOTS a thread */
    nd_pool *pool;
    json_slot slot[ND_JSON_BATCH];
} json_job;

static nd_status job_open(json_job *j, const nd_report *r, const json_paths *jp) {
    nd_timings tm;
    memset(j, 0, sizeof *j);
    j->r = r;
    j->jp = jp;
    ND_TRY(nd_report_timings(r, &tm));
    unsigned threads = tm.threads ? tm.threads : 1;
    ND_TRY(nd_pool_new(threads, &j->pool));
    j->batch = ND_MIN((size_t)ND_JSON_BATCH, (size_t)ND_JSON_SLOTS * threads);
    for (size_t t = 0; t < j->batch; t++)
        ND_TRY(nd_sink_open(&j->slot[t].sink, nd_membuf_append, &j->slot[t].mb));
    return ND_OK;
}

static void job_release(json_job *j) {
    for (size_t t = 0; t < j->batch; t++) {
        nd_sink_release(&j->slot[t].sink);
        free(j->slot[t].mb.buf);
    }
    nd_pool_free(j->pool);
}

/* Records of task first + t, each followed by its separator. */
static nd_status json_task(void *ctx, size_t t, unsigned worker) {
    json_job *j = ctx;
    nd_sink *s = &j->slot[t].sink;
    size_t i0 = (j->first + t) * ND_JSON_TASK, i1 = ND_MIN(i0 + ND_JSON_TASK, j->n);
    ND_UNUSED(worker);
    for (size_t i = i0; i < i1; i++) {
        if (j->type) {
            ND_TRY(j->write(j->r, j->jp, i, s, j->type));
            ND_TRY(nd_sink_putc(s, '\n'));
        } else {
            ND_TRY(nd_sink_puts(s, "    "));
            ND_TRY(j->write(j->r, j->jp, i, s, NULL));
            ND_TRY(nd_sink_puts(s, i + 1 < j->n ? ",\n" : "\n  ]"));
        }
    }
    return nd_sink_flush(s);
}

/* Writes the job's n records to out, a batch of tasks at a time. */
static nd_status job_run(json_job *j, record_fn write, const char *type, size_t n, nd_sink *out) {
    size_t ntasks = (n + ND_JSON_TASK - 1) / ND_JSON_TASK;
    j->write = write;
    j->type = type;
    j->n = n;
    for (j->first = 0; j->first < ntasks; j->first += j->batch) {
        size_t nt = ND_MIN(j->batch, ntasks - j->first);
        nd_status st = nd_pool_run(j->pool, nt, json_task, j, NULL);
        /* a memory slot fails only to grow its buffer */
        if (st == ND_ERR_IO) st = ND_ERR_NOMEM;
        ND_TRY(st);
        for (size_t t = 0; t < nt; t++) {
            ND_TRY(nd_sink_write(out, j->slot[t].mb.buf, j->slot[t].mb.len));
            j->slot[t].mb.len = 0;
        }
    }
    return ND_OK;
}

/* What a format writes around and between the job's records. */
typedef nd_status (*json_body_fn)(const nd_report *r, const nd_write_options *wo, nd_sink *s,
                                  json_job *job);

static nd_status jsonl_body(const nd_report *r, const nd_write_options *wo, nd_sink *s,
                            json_job *job) {
    ND_TRY(summary_record(r, wo, s, "summary"));
    ND_TRY(nd_sink_putc(s, '\n'));
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!kind_on(r, wo, k)) continue;
        ND_TRY(job_run(job, kinds[k].write, kinds[k].type, kinds[k].count(r), s));
    }
    return ND_OK;
}

static nd_status json_body(const nd_report *r, const nd_write_options *wo, nd_sink *s,
                           json_job *job) {
    ND_TRY(nd_sink_puts(s, "{\n  \"summary\": "));
    ND_TRY(summary_record(r, wo, s, NULL));
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!kind_on(r, wo, k)) continue;
        size_t n = kinds[k].count(r);
        ND_TRY(nd_sink_puts(s, ",\n  \""));
        ND_TRY(nd_sink_puts(s, kinds[k].array));
        ND_TRY(nd_sink_puts(s, n ? "\": [\n" : "\": []"));
        ND_TRY(job_run(job, kinds[k].write, NULL, n, s));
    }
    return nd_sink_puts(s, "\n}\n");
}

/* Both formats: the escaped paths and the job (its threads), then body. */
static nd_status json_write(const nd_report *r, const nd_write_options *wo, nd_sink *s,
                            json_body_fn body) {
    nd_status st = ND_OK;
    json_paths jp;
    json_job job;
    memset(&jp, 0, sizeof jp);
    memset(&job, 0, sizeof job); /* job_release works before job_open */
    ND_CHECK(paths_build(r, &jp));
    jp.text = (wo->emit_paragraphs & ND_EMIT_TEXT) != 0;
    ND_CHECK(job_open(&job, r, &jp));
    ND_CHECK(body(r, wo, s, &job));
out:
    job_release(&job);
    paths_release(&jp);
    return st;
}

nd_status nd_write_jsonl(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    return json_write(r, wo, s, jsonl_body);
}

nd_status nd_write_json(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    return json_write(r, wo, s, json_body);
}
