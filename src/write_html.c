/*
 * write_html.c - the HTML writers: the scan report and the comparison of two
 * documents, each as ONE self-contained file.
 *
 * Self-contained: the CSS and the JavaScript are inline, there are no
 * external resources (no fonts, no CDN, no images), and a Content Security
 * Policy meta tag (default-src 'none') makes the browser refuse any network
 * access the page might attempt, so the file works opened from disk, offline,
 * years from now.  Like every writer, the output is a pure function of the
 * model and the options: the same scan gives the same bytes.
 *
 * Escaping: every string that comes from the data (paths, paragraph text) is
 * written through nd_sink_html: & < > " ' become entities, bytes that are not
 * valid UTF-8 become U+FFFD, control characters other than TAB/LF/CR become
 * U+FFFD.  So a paragraph holding "<script>" is shown as text and never
 * parsed as markup, in element content and in attribute values alike.
 *
 * The scan page:
 *   - totals (the nd_summary);
 *   - a heat map: one cell per (row document, column document); the colour is
 *     the share of the row document's characters found in the column
 *     document (sequential scale, legend shown), the diagonal the share
 *     repeated within the document.  Hovering shows both directions' shares;
 *     clicking a cell filters the cluster list to the clusters the two
 *     documents share and jumps there.  With more than ND_HTML_MATRIX_MAX
 *     documents the map shows the ND_HTML_MATRIX_MAX with the most text
 *     found elsewhere (a note says so);
 *   - a table of documents and a sortable table of document pairs (click a
 *     column heading to sort; click a row to see the pair's clusters);
 *   - the clusters (largest first, at most ND_HTML_MAX_CLUSTERS, each with
 *     at most ND_HTML_MAX_MEMBERS members): each member with its path:line
 *     and similarity, and its text with the character-level differences to
 *     the representative marked (<del>: only in the representative, <ins>:
 *     only in the member).  The diff is a longest common subsequence over
 *     code points after stripping the common prefix and suffix; when the
 *     remaining middle parts would need a table of more than ND_HTML_DIFF_AREA
 *     cells the member is shown without marks (a note says so), so the cost
 *     is bounded for long paragraphs.  Texts are cut at ND_HTML_MAX_CHARS;
 *   - only with passages (nd_options.passages; without them the page is the
 *     same bytes as before they existed): the totals count them, the heat
 *     map and the pair table speak of passages (the overlaps come from them),
 *     and a section of pair views: one <details> per overlap (the first
 *     ND_HTML_MAX_VIEWS; a pair that shares only passages is an overlap too)
 *     with the passages the two documents share (the first
 *     ND_HTML_MAX_VIEW_PASSAGES, largest first: characters, similarity,
 *     the places in A and in B as path:line linked to their marks, a
 *     preview, common text marked) and both documents' texts side by side
 *     (the first ND_HTML_MAX_VIEW_BYTES of each) with those passages marked,
 *     one colour per passage on both sides (common text grey); a byte in two
 *     passages goes to the shorter, so a sentence inside a longer copied
 *     passage keeps its own mark.  Hovering a mark lights up its other side,
 *     clicking scrolls there; clicking a pair in the table or the heat map
 *     opens its view.
 *
 * The compare page: both documents side by side, every shared passage
 * highlighted in the same colour on both sides (8 colours in turn); hovering
 * a passage highlights its partner, clicking scrolls the other side to it;
 * a table lists the passages with path:line on both sides.
 */
#include "write_html.h"

#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "report.h"
#include "text.h"

#define ND_HTML_MATRIX_MAX        150
#define ND_HTML_MAX_CLUSTERS      500
#define ND_HTML_MAX_MEMBERS       50
#define ND_HTML_MAX_PAIRS         5000
#define ND_HTML_MAX_CHARS         5000
#define ND_HTML_DIFF_AREA         ((size_t)1 << 20)
#define ND_HTML_MAX_VIEWS         100    /* pair views (--passages) */
#define ND_HTML_MAX_VIEW_PASSAGES 200    /* passages listed and marked per view */
#define ND_HTML_MAX_VIEW_BYTES    200000 /* text shown of each side */
#define ND_HTML_PREVIEW           120    /* characters of a passage's preview */

/* ------------------------------------------------------------------------ */
/* Escaping                                                                   */
/* ------------------------------------------------------------------------ */

static nd_status put_html(nd_sink *s, const char *str) { return nd_sink_html(s, str, strlen(str)); }

#define ND_HTML_PATH_MAX  60 /* characters of a path shown in a table cell */
#define ND_HTML_PATH_HEAD 20 /* of them before the "…" when it is shortened */

/* A path for a table cell: as it is, or, longer than ND_HTML_PATH_MAX
 * characters, shortened in the middle - its start, "…", and its end, so the
 * file name stays visible - inside a span whose title is the whole path. */
static nd_status put_html_path(nd_sink *s, const char *path) {
    size_t n = strlen(path), chars = 0, i = 0, head = 0, tail = 0;
    int cut;
    while (i < n) {
        size_t adv;
        (void)nd_wr_utf8_next((const unsigned char *)path + i, n - i, &adv);
        i += adv;
        chars++;
    }
    if (chars <= ND_HTML_PATH_MAX) return nd_sink_html(s, path, n);
    head = nd_wr_prefix_chars(path, n, ND_HTML_PATH_HEAD, &cut);
    /* the last ND_HTML_PATH_MAX - ND_HTML_PATH_HEAD - 1 characters */
    tail = nd_wr_prefix_chars(path, n, chars - (ND_HTML_PATH_MAX - ND_HTML_PATH_HEAD - 1), &cut);
    ND_TRY(nd_sink_puts(s, "<span title=\""));
    ND_TRY(nd_sink_html(s, path, n));
    ND_TRY(nd_sink_puts(s, "\">"));
    ND_TRY(nd_sink_html(s, path, head));
    ND_TRY(nd_sink_puts(s, "\xE2\x80\xA6")); /* U+2026 */
    ND_TRY(nd_sink_html(s, path + tail, n - tail));
    return nd_sink_puts(s, "</span>");
}

/* ------------------------------------------------------------------------ */
/* Page frame                                                                 */
/* ------------------------------------------------------------------------ */

static const char page_css[] =
    ":root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--bg:#f6f7f9;--card:#fff;"
    "--accent:#2457c5}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;"
    "color:var(--fg);background:var(--bg)}\n"
    "header{background:#1d2330;color:#fff;padding:14px 24px}\n"
    "header h1{margin:0;font-size:20px;font-weight:600}\n"
    "header p{margin:4px 0 0;color:#c9d1e0}\n"
    "main{padding:16px 24px;max-width:1400px}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:12px 16px;margin:0 0 16px}\n"
    "h2{font-size:16px;margin:0 0 10px}\n"
    ".note{color:var(--muted);margin:4px 0 10px}\n"
    ".totals{display:flex;flex-wrap:wrap;gap:10px;margin:0}\n"
    ".totals div{border:1px solid var(--line);border-radius:6px;padding:6px 12px;"
    "min-width:120px}\n"
    ".totals dt{color:var(--muted);font-size:12px}\n"
    ".totals dd{margin:0;font-size:18px;font-weight:600}\n"
    "table{border-collapse:collapse}\n"
    "table.list{width:100%}\n"
    "table.list th,table.list td{border-bottom:1px solid var(--line);padding:4px 8px;"
    "text-align:left;vertical-align:top}\n"
    "table.list td.num,table.list th.num{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    "table.sortable th{cursor:pointer;user-select:none}\n"
    "table.sortable th[data-dir=asc]::after{content:' \\25B2'}\n"
    "table.sortable th[data-dir=desc]::after{content:' \\25BC'}\n"
    "table.sortable tbody tr{cursor:pointer}\n"
    "table.list tbody tr:hover{background:#eef3fc}\n"
    ".path{word-break:break-all}\n"
    ".heatwrap{overflow:auto;max-height:80vh}\n"
    "table.heat{font-size:11px}\n"
    "table.heat td.cell{width:26px;min-width:26px;height:26px;text-align:center;"
    "border:1px solid #fff;cursor:pointer;font-variant-numeric:tabular-nums}\n"
    "table.heat td.cell.self{outline:1px dashed #9aa3b2;outline-offset:-3px}\n"
    "table.heat td.cell:hover{outline:2px solid #1d2330;outline-offset:-2px}\n"
    "table.heat th{font-weight:500;color:var(--muted);padding:0 4px}\n"
    "table.heat th.row{text-align:right;max-width:320px;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}\n"
    ".legend{display:flex;align-items:center;gap:8px;margin:0 0 8px;"
    "color:var(--muted);font-size:12px}\n"
    ".legend .bar{width:200px;height:12px;border-radius:3px;"
    "background:linear-gradient(90deg,#f7fbff,#c6dbef,#6baed6,#2171b5,#08306b)}\n"
    "#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;"
    "padding:6px 9px;border-radius:5px;font-size:12px;display:none;z-index:9;"
    "max-width:420px}\n"
    ".cluster{border-top:1px solid var(--line);padding:8px 0}\n"
    ".cluster h3{font-size:14px;margin:0 0 6px}\n"
    ".member{margin:0 0 6px 0;padding:4px 8px;border-left:3px solid var(--line)}\n"
    ".member.rep{border-left-color:var(--accent)}\n"
    ".loc{color:var(--muted);font-size:12px}\n"
    ".empty{color:var(--muted);font-style:italic}\n"
    ".text{white-space:pre-wrap;word-break:break-word}\n"
    "del{background:#ffd7d5;color:#82071e;text-decoration:line-through}\n"
    "ins{background:#ccf2d4;color:#055d20;text-decoration:none}\n"
    "button{font:inherit;border:1px solid var(--line);background:#fff;"
    "border-radius:5px;padding:2px 10px;cursor:pointer}\n"
    ".sxs{display:grid;grid-template-columns:1fr 1fr;gap:16px}\n"
    ".doc pre{white-space:pre-wrap;word-break:break-word;font-family:inherit;"
    "font-size:13px;line-height:1.6;"
    "margin:0;max-height:75vh;overflow:auto}\n"
    "mark{border-radius:3px;padding:1px 0;cursor:pointer}\n"
    "mark.hot{outline:2px solid #1d2330}\n"
    "mark.c0{background:#ffe08a}mark.c1{background:#a9def9}"
    "mark.c2{background:#c6f1b3}mark.c3{background:#f9c6e0}"
    "mark.c4{background:#d7c6f9}mark.c5{background:#ffc9a3}"
    "mark.c6{background:#b3f1e6}mark.c7{background:#e8e8a0}\n";

static nd_status page_start(nd_sink *s, const char *title, const char *extra_css) {
    ND_TRY(nd_sink_puts(
        s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"neardup " ND_VERSION_STRING "\">\n<title>"));
    ND_TRY(put_html(s, title));
    ND_TRY(nd_sink_puts(s, "</title>\n<style>\n"));
    ND_TRY(nd_sink_puts(s, page_css));
    if (extra_css) ND_TRY(nd_sink_puts(s, extra_css));
    return nd_sink_puts(s, "</style>\n</head>\n<body>\n");
}

/* ------------------------------------------------------------------------ */
/* Marked text (the compare page, the scan report's pair views)               */
/* ------------------------------------------------------------------------ */

/* A span of a text to mark: bytes [off, end), of the passage at position q
 * of the page's list of passages (which picks its colour). */
typedef struct mark_span {
    uint64_t off, end;
    size_t q;
} mark_span;

/* How put_marked names the marks of one side. */
typedef struct mark_style {
    char side;                   /* 'a' or 'b': data-s, and in the id */
    const char *view;            /* "" (compare) or a pair view's number: data-v,
                              and the id's prefix "v<view>-" */
    const size_t *ids;           /* q -> the passage's number (data-p, id), or
                              NULL: q itself */
    const unsigned char *common; /* q -> 1: common text (class cm), or NULL */
    int title_id;                /* unused since ids are numbered from 0 everywhere (issue 17);
                              the title is "passage #<id>" for both users */
    int innermost;               /* a byte in several spans goes to the shortest
                              (1: a sentence inside a longer passage keeps
                              its mark), or to the first (0) */
    size_t nq;                   /* positions q in the list */
} mark_style;

/* A span's length and index, to give bytes to the shortest span last. */
typedef struct span_order {
    uint64_t len;
    size_t k;
} span_order;

/* Longest first; of equal ones the later first. */
static int span_order_cmp(const void *x, const void *y) {
    const span_order *p = x, *q = y;
    if (p->len != q->len) return p->len > q->len ? -1 : 1;
    return p->k > q->k ? -1 : p->k < q->k;
}

static int u64_cmp(const void *x, const void *y) {
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return p < q ? -1 : p > q;
}

/* text[0..len-1] in a <pre>, with the spans sp[0..n-1] (ordered by q)
 * marked: a byte covered by several spans goes to the first of them, or with
 * ms->innermost to the shortest; the first piece of each passage gets the id
 * the other side links to.  Spans past len are cut there. */
static nd_status put_marked(nd_sink *s, const char *text, size_t len, const mark_span *sp, size_t n,
                            const mark_style *ms) {
    nd_status st = ND_OK;
    size_t nb = 0;
    uint64_t *bounds = NULL;
    size_t *owner = NULL;
    unsigned char *first = NULL;
    span_order *order = NULL;

    bounds = nd_mallocn(2 * n + 2, sizeof *bounds);
    order = nd_mallocn(n ? n : 1, sizeof *order);
    if (!bounds || !order) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    bounds[nb++] = 0;
    bounds[nb++] = len;
    for (size_t k = 0; k < n; k++) {
        bounds[nb++] = ND_MIN(sp[k].off, (uint64_t)len);
        bounds[nb++] = ND_MIN(sp[k].end, (uint64_t)len);
    }
    qsort(bounds, nb, sizeof *bounds, u64_cmp);
    {
        size_t u = 0;
        for (size_t i = 0; i < nb; i++)
            if (u == 0 || bounds[i] != bounds[u - 1]) bounds[u++] = bounds[i];
        nb = u;
    }
    /* segment i = [bounds[i], bounds[i+1]); owner = the span that covers it
     * and comes last in `order`: the first, or the shortest */
    owner = nd_mallocn(nb, sizeof *owner);
    first = nd_calloc(ms->nq ? ms->nq : 1, 1);
    if (!owner || !first) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nb; i++) owner[i] = SIZE_MAX;
    for (size_t k = 0; k < n; k++)
        order[k] = (span_order){ms->innermost ? sp[k].end - sp[k].off : 0, k};
    qsort(order, n, sizeof *order, span_order_cmp);
    for (size_t o = 0; o < n; o++) {
        size_t k = order[o].k;
        uint64_t b0 = sp[k].off, b1 = sp[k].end;
        size_t lo = 0, hi = nb;
        while (lo < hi) { /* first bound >= b0 */
            size_t mid = lo + (hi - lo) / 2;
            if (bounds[mid] < b0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i + 1 < nb && bounds[i] < b1; i++) owner[i] = k;
    }
    ND_CHECK(nd_sink_puts(s, "<pre class=\"text\">"));
    for (size_t i = 0; i + 1 < nb; i++) {
        const char *seg = text + bounds[i];
        size_t sl = (size_t)(bounds[i + 1] - bounds[i]);
        if (owner[i] == SIZE_MAX) {
            ND_CHECK(nd_sink_html(s, seg, sl));
            continue;
        }
        size_t q = sp[owner[i]].q, id = ms->ids ? ms->ids[q] : q;
        if (ms->common && ms->common[q]) {
            ND_CHECK(nd_sink_puts(s, "<mark class=\"cm\""));
        } else {
            ND_CHECK(nd_sink_puts(s, "<mark class=\"c"));
            ND_CHECK(nd_sink_u64(s, q % 8));
            ND_CHECK(nd_sink_putc(s, '"'));
        }
        if (*ms->view) {
            ND_CHECK(nd_sink_puts(s, " data-v=\""));
            ND_CHECK(nd_sink_puts(s, ms->view));
            ND_CHECK(nd_sink_putc(s, '"'));
        }
        ND_CHECK(nd_sink_puts(s, " data-s=\""));
        ND_CHECK(nd_sink_putc(s, ms->side));
        ND_CHECK(nd_sink_puts(s, "\" data-p=\""));
        ND_CHECK(nd_sink_u64(s, id));
        ND_CHECK(nd_sink_putc(s, '"'));
        if (!first[q]) { /* the id goes on the first piece of a passage */
            first[q] = 1;
            ND_CHECK(nd_sink_puts(s, " id=\""));
            if (*ms->view) {
                ND_CHECK(nd_sink_putc(s, 'v'));
                ND_CHECK(nd_sink_puts(s, ms->view));
                ND_CHECK(nd_sink_putc(s, '-'));
            }
            ND_CHECK(nd_sink_putc(s, ms->side));
            ND_CHECK(nd_sink_puts(s, "-p"));
            ND_CHECK(nd_sink_u64(s, id));
            ND_CHECK(nd_sink_putc(s, '"'));
        }
        ND_CHECK(nd_sink_puts(s, " title=\"passage #"));
        ND_CHECK(nd_sink_u64(s, id)); /* numbered from 0, as in every format */
        ND_CHECK(nd_sink_puts(s, "\">"));
        ND_CHECK(nd_sink_html(s, seg, sl));
        ND_CHECK(nd_sink_puts(s, "</mark>"));
    }
    ND_CHECK(nd_sink_puts(s, "</pre>\n"));
out:
    free(bounds);
    free(owner);
    free(first);
    free(order);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Scan report                                                                */
/* ------------------------------------------------------------------------ */

static const char scan_js[] =
    "(function(){\n"
    "'use strict';\n"
    "var tip=document.getElementById('tip');\n"
    "function show(e,t){tip.textContent=t;tip.style.display='block';"
    "var x=e.clientX+14,y=e.clientY+14;if(x+tip.offsetWidth>innerWidth)"
    "x=e.clientX-tip.offsetWidth-8;tip.style.left=x+'px';tip.style.top=y+'px';}\n"
    "function hide(){tip.style.display='none';}\n"
    "var clusters=Array.prototype.slice.call(document.querySelectorAll('.cluster'));\n"
    "var note=document.getElementById('filter-note');\n"
    "function filter(a,b){var n=0;clusters.forEach(function(c){var ok;"
    "if(a===b){ok=c.dataset.self.indexOf(' '+a+' ')>=0;}else{"
    "ok=c.dataset.docs.indexOf(' '+a+' ')>=0&&c.dataset.docs.indexOf(' '+b+' ')>=0;}"
    "c.hidden=!ok;if(ok)n++;});"
    "var pa=document.getElementById('doc-'+a).dataset.path,"
    "pb=document.getElementById('doc-'+b).dataset.path;"
    "document.getElementById('filter-text').textContent=a===b?"
    "n+' cluster(s) repeated within '+pa:n+' cluster(s) shared by '+pa+' and '+pb;"
    "note.hidden=false;document.getElementById('clusters').scrollIntoView();}\n"
    "document.getElementById('show-all').addEventListener('click',function(){"
    "clusters.forEach(function(c){c.hidden=false;});note.hidden=true;});\n"
    "document.querySelectorAll('td.cell').forEach(function(td){\n"
    "td.addEventListener('mousemove',function(e){show(e,td.dataset.tip);});\n"
    "td.addEventListener('mouseleave',hide);\n"
    "td.addEventListener('click',function(){hide();"
    "filter(td.dataset.a,td.dataset.b);});});\n"
    "document.querySelectorAll('#pairs tbody tr').forEach(function(tr){"
    "tr.addEventListener('click',function(){filter(tr.dataset.a,tr.dataset.b);});});\n"
    "document.querySelectorAll('table.sortable').forEach(function(t){\n"
    "var ths=t.tHead.rows[0].cells;\n"
    "Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){\n"
    "var dir=th.dataset.dir==='desc'?'asc':'desc';"
    "Array.prototype.forEach.call(ths,function(h){delete h.dataset.dir;});th.dataset.dir=dir;\n"
    "var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows);\n"
    "rows.sort(function(x,y){var p=x.cells[i].dataset.v,q=y.cells[i].dataset.v,"
    "c=th.dataset.type==='num'?parseFloat(p)-parseFloat(q):(p<q?-1:p>q?1:0);"
    "return dir==='asc'?c:-c;});\n"
    "rows.forEach(function(r){tb.appendChild(r);});});});});\n"
    "document.documentElement.setAttribute('data-ready','1');\n"
    "})();\n";

/* Sequential blue scale (ColorBrewer "Blues" end points) for a share in
 * per-mille; 5 stops, linear in between. */
static void heat_colour(uint64_t permille, char *out, int *dark) {
    static const unsigned stops[5][3] = {{0xf7, 0xfb, 0xff},
                                         {0xc6, 0xdb, 0xef},
                                         {0x6b, 0xae, 0xd6},
                                         {0x21, 0x71, 0xb5},
                                         {0x08, 0x30, 0x6b}};
    static const char hex[] = "0123456789abcdef";
    if (permille > 1000) permille = 1000;
    unsigned seg = (unsigned)(permille / 250), rest = (unsigned)(permille % 250);
    if (seg >= 4) {
        seg = 3;
        rest = 250;
    }
    out[0] = '#';
    for (int c = 0; c < 3; c++) {
        int lo = (int)stops[seg][c], hi = (int)stops[seg + 1][c];
        int v = lo + ((hi - lo) * (int)rest + (hi > lo ? 125 : -125)) / 250;
        if (v < 0) v = 0;
        if (v > 255) v = 255;
        out[1 + 2 * c] = hex[v >> 4];
        out[2 + 2 * c] = hex[v & 15];
    }
    out[7] = '\0';
    *dark = permille >= 450;
}

/* Decodes up to max code points of s[0..n-1] into a new array. */
static nd_status decode_cps(const char *str, size_t n, size_t max, uint32_t **out, size_t *count,
                            int *cut) {
    const unsigned char *p = (const unsigned char *)str;
    uint32_t *v = nd_mallocn(ND_MIN(n, max) + 1, sizeof *v);
    size_t i = 0, k = 0;
    if (!v) return ND_ERR_NOMEM;
    while (i < n && k < max) {
        size_t adv;
        uint32_t cp = nd_wr_utf8_next(p + i, n - i, &adv);
        v[k++] = cp == ND_WR_BAD ? ND_REPLACEMENT_CHAR : cp;
        i += adv;
    }
    *cut = i < n;
    *out = v;
    *count = k;
    return ND_OK;
}

/* Writes code points v[0..n-1] escaped. */
static nd_status put_cps(nd_sink *s, const uint32_t *v, size_t n) {
    char buf[256];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (len > sizeof buf - 4) {
            ND_TRY(nd_sink_html(s, buf, len));
            len = 0;
        }
        len += nd_wr_utf8_put(v[i], buf + len);
    }
    return nd_sink_html(s, buf, len);
}

enum { OP_EQ = 0, OP_DEL = 1, OP_INS = 2 };

static nd_status put_op(nd_sink *s, int *cur, int op, const uint32_t *v, size_t n) {
    static const char *const open_tag[3] = {"", "<del>", "<ins>"};
    static const char *const close_tag[3] = {"", "</del>", "</ins>"};
    if (*cur != op) {
        ND_TRY(nd_sink_puts(s, close_tag[*cur]));
        ND_TRY(nd_sink_puts(s, open_tag[op]));
        *cur = op;
    }
    return put_cps(s, v, n);
}

/*
 * Member text x against representative r (both code points): common prefix
 * and suffix, and an LCS table over the middle parts when it is small
 * enough.  Returns 0 in *diffed when the middle was too large (then the text
 * is written plain).
 */
static nd_status put_diff(nd_sink *s, const uint32_t *r, size_t nr, const uint32_t *x, size_t nx,
                          int *diffed) {
    nd_status st = ND_OK;
    uint32_t *L = NULL;
    size_t pre = 0, suf = 0, n, m;
    int cur = OP_EQ;
    while (pre < nr && pre < nx && r[pre] == x[pre]) pre++;
    while (suf < nr - pre && suf < nx - pre && r[nr - 1 - suf] == x[nx - 1 - suf]) suf++;
    n = nr - pre - suf;
    m = nx - pre - suf;
    *diffed = 1;
    if (n && m && (n + 1) > ND_HTML_DIFF_AREA / (m + 1)) {
        *diffed = 0;
        return put_cps(s, x, nx);
    }
    ND_CHECK(put_op(s, &cur, OP_EQ, x, pre));
    if (n && m) {
        const uint32_t *a = r + pre, *b = x + pre;
        const size_t W = m + 1;
        L = nd_calloc((n + 1) * W, sizeof *L);
        if (!L) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        /* L[i][j] = LCS of a[i..] and b[j..] */
        for (size_t i = n; i-- > 0;) {
            for (size_t j = m; j-- > 0;) {
                if (a[i] == b[j])
                    L[i * W + j] = L[(i + 1) * W + j + 1] + 1;
                else {
                    uint32_t d = L[(i + 1) * W + j], e = L[i * W + j + 1];
                    L[i * W + j] = d >= e ? d : e;
                }
            }
        }
        size_t i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[i] == b[j]) {
                ND_CHECK(put_op(s, &cur, OP_EQ, b + j, 1));
                i++;
                j++;
            } else if (j >= m || (i < n && L[(i + 1) * W + j] >= L[i * W + j + 1])) {
                ND_CHECK(put_op(s, &cur, OP_DEL, a + i, 1));
                i++;
            } else {
                ND_CHECK(put_op(s, &cur, OP_INS, b + j, 1));
                j++;
            }
        }
    } else if (n) {
        ND_CHECK(put_op(s, &cur, OP_DEL, r + pre, n));
    } else if (m) {
        ND_CHECK(put_op(s, &cur, OP_INS, x + pre, m));
    }
    ND_CHECK(put_op(s, &cur, OP_EQ, x + pre + m, suf));
out:
    free(L);
    return st;
}

static nd_status put_total(nd_sink *s, const char *label, uint64_t v) {
    ND_TRY(nd_sink_puts(s, "<div><dt>"));
    ND_TRY(nd_sink_puts(s, label));
    ND_TRY(nd_sink_puts(s, "</dt><dd>"));
    ND_TRY(nd_sink_u64(s, v));
    return nd_sink_puts(s, "</dd></div>\n");
}

static nd_status put_path_line(nd_sink *s, const char *path, uint64_t line) {
    ND_TRY(put_html(s, path));
    ND_TRY(nd_sink_putc(s, ':'));
    return nd_sink_u64(s, line);
}

/* The documents shown in the heat map: all of them, or the
 * ND_HTML_MATRIX_MAX with the highest share found elsewhere, in the order
 * of that share, most first (ties: input order), so the overlapping
 * documents meet in the top left corner.  *sel receives the document
 * indices (malloc'ed). */
typedef struct doc_rank {
    uint64_t num, den;
    size_t doc;
} doc_rank;

static int rank_cmp(const void *x, const void *y) {
    const doc_rank *p = x, *q = y;
    int c = nd_ratio_cmp(q->num, q->den, p->num, p->den);
    if (c) return c;
    return p->doc < q->doc ? -1 : p->doc > q->doc;
}

static nd_status select_docs(const nd_report *r, size_t **sel, size_t *nsel) {
    size_t nd = nd_report_document_count(r), n = ND_MIN(nd, (size_t)ND_HTML_MATRIX_MAX);
    doc_rank *rk = NULL;
    size_t *v = nd_mallocn(n ? n : 1, sizeof *v);
    nd_status st = ND_OK;
    if (!v) return ND_ERR_NOMEM;
    rk = nd_mallocn(nd ? nd : 1, sizeof *rk);
    if (!rk) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        nd_document_info di;
        ND_CHECK(nd_report_document(r, i, &di));
        rk[i].num = di.elsewhere_chars;
        rk[i].den = nd_wr_comparable(r, i);
        rk[i].doc = i;
    }
    if (nd > 1) qsort(rk, nd, sizeof *rk, rank_cmp);
    for (size_t i = 0; i < n; i++) v[i] = rk[i].doc; /* most overlap first */
    *sel = v;
    *nsel = n;
    v = NULL;
out:
    free(v);
    free(rk);
    return st;
}

static nd_status write_matrix(const nd_report *r, int passages, nd_sink *s) {
    nd_status st = ND_OK;
    size_t *sel = NULL, nsel = 0, nd = nd_report_document_count(r);
    size_t *pos = NULL;   /* document -> row, or SIZE_MAX */
    int64_t *cell = NULL; /* row * nsel + col -> overlap index, or -1 */
    nd_document_info *di = NULL;
    uint64_t *den = NULL; /* comparable characters of each selected document */
    char colour[8];
    int dark;

    ND_CHECK(select_docs(r, &sel, &nsel));
    pos = nd_mallocn(nd ? nd : 1, sizeof *pos);
    cell = nd_mallocn(nsel ? nsel * nsel : 1, sizeof *cell);
    di = nd_mallocn(nsel ? nsel : 1, sizeof *di);
    den = nd_mallocn(nsel ? nsel : 1, sizeof *den);
    if (!pos || !cell || !di || !den) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nd; i++) pos[i] = SIZE_MAX;
    for (size_t i = 0; i < nsel; i++) {
        pos[sel[i]] = i;
        ND_CHECK(nd_report_document(r, sel[i], &di[i]));
        den[i] = nd_wr_comparable(r, sel[i]);
    }
    for (size_t i = 0; i < nsel * nsel; i++) cell[i] = -1;
    for (size_t k = 0, no = nd_report_overlap_count(r); k < no; k++) {
        nd_overlap_info ov;
        ND_CHECK(nd_report_overlap(r, k, &ov));
        if (pos[ov.a] == SIZE_MAX || pos[ov.b] == SIZE_MAX) continue;
        cell[pos[ov.a] * nsel + pos[ov.b]] = (int64_t)k;
        cell[pos[ov.b] * nsel + pos[ov.a]] = (int64_t)k;
    }

    ND_CHECK(nd_sink_puts(s, "<section id=\"matrix\">\n<h2>Overlap between documents</h2>\n"
                             "<p class=\"note\">Each cell: the share of the row document's "
                             "text that is found in the column document (the diagonal: "
                             "text repeated within the document). Hover for both "
                             "directions; click to see the shared "));
    ND_CHECK(nd_sink_puts(s, passages ? "passages." : "clusters."));
    if (nsel < nd) {
        ND_CHECK(nd_sink_puts(s, " Showing the "));
        ND_CHECK(nd_sink_u64(s, nsel));
        ND_CHECK(nd_sink_puts(s, " documents with the most text found elsewhere, of "));
        ND_CHECK(nd_sink_u64(s, nd));
        ND_CHECK(nd_sink_putc(s, '.'));
    }
    ND_CHECK(nd_sink_puts(s, "</p>\n<div class=\"legend\">0%<span class=\"bar\"></span>100%"
                             "</div>\n<div class=\"heatwrap\"><table class=\"heat\" "
                             "id=\"heat\">\n<thead><tr><th></th>"));
    for (size_t j = 0; j < nsel; j++) {
        ND_CHECK(nd_sink_puts(s, "<th class=\"col\" title=\""));
        ND_CHECK(put_html(s, di[j].path));
        ND_CHECK(nd_sink_puts(s, "\">"));
        ND_CHECK(nd_sink_u64(s, sel[j]));
        ND_CHECK(nd_sink_puts(s, "</th>"));
    }
    ND_CHECK(nd_sink_puts(s, "</tr></thead>\n<tbody>\n"));
    for (size_t i = 0; i < nsel; i++) {
        ND_CHECK(nd_sink_puts(s, "<tr><th class=\"row\" title=\""));
        ND_CHECK(put_html(s, di[i].path));
        ND_CHECK(nd_sink_puts(s, "\">"));
        ND_CHECK(nd_sink_u64(s, sel[i]));
        ND_CHECK(nd_sink_puts(s, " &middot; "));
        ND_CHECK(put_html_path(s, di[i].path));
        ND_CHECK(nd_sink_puts(s, "</th>"));
        for (size_t j = 0; j < nsel; j++) {
            uint64_t ab = 0, ba = 0, ncl = 0, pm;
            if (i == j) {
                ab = ba = di[i].within_chars;
            } else if (cell[i * nsel + j] >= 0) {
                nd_overlap_info ov;
                ND_CHECK(nd_report_overlap(r, (size_t)cell[i * nsel + j], &ov));
                int row_is_a = ov.a == sel[i];
                ab = row_is_a ? ov.a_in_b : ov.b_in_a;
                ba = row_is_a ? ov.b_in_a : ov.a_in_b;
                ncl = ov.clusters;
            }
            pm = nd_ratio_units(ab, den[i], 3);
            heat_colour(pm, colour, &dark);
            ND_CHECK(nd_sink_puts(s, i == j ? "<td class=\"cell self\"" : "<td class=\"cell\""));
            ND_CHECK(nd_sink_puts(s, " data-a=\""));
            ND_CHECK(nd_sink_u64(s, sel[i]));
            ND_CHECK(nd_sink_puts(s, "\" data-b=\""));
            ND_CHECK(nd_sink_u64(s, sel[j]));
            ND_CHECK(nd_sink_puts(s, "\" data-share=\""));
            ND_CHECK(nd_sink_share(s, ab, den[i]));
            ND_CHECK(nd_sink_puts(s, "\" style=\"background:"));
            ND_CHECK(nd_sink_puts(s, colour));
            if (dark) ND_CHECK(nd_sink_puts(s, ";color:#fff"));
            ND_CHECK(nd_sink_puts(s, "\" data-tip=\""));
            if (i == j) {
                ND_CHECK(nd_sink_percent(s, ab, den[i]));
                ND_CHECK(nd_sink_puts(s, " of "));
                ND_CHECK(put_html(s, di[i].path));
                ND_CHECK(nd_sink_puts(s, " is repeated within it"));
            } else {
                ND_CHECK(nd_sink_percent(s, ab, den[i]));
                ND_CHECK(nd_sink_puts(s, " of "));
                ND_CHECK(put_html(s, di[i].path));
                ND_CHECK(nd_sink_puts(s, " appears in "));
                ND_CHECK(put_html(s, di[j].path));
                ND_CHECK(nd_sink_puts(s, "; "));
                ND_CHECK(nd_sink_percent(s, ba, den[j]));
                ND_CHECK(nd_sink_puts(s, " of "));
                ND_CHECK(put_html(s, di[j].path));
                ND_CHECK(nd_sink_puts(s, " appears in "));
                ND_CHECK(put_html(s, di[i].path));
                ND_CHECK(nd_sink_puts(s, "; "));
                ND_CHECK(nd_sink_u64(s, ncl));
                ND_CHECK(nd_sink_puts(s, " shared "));
                ND_CHECK(nd_sink_puts(s, passages ? (ncl == 1 ? "passage" : "passages")
                                                  : (ncl == 1 ? "cluster" : "clusters")));
            }
            ND_CHECK(nd_sink_puts(s, "\">"));
            /* whole percent by write.c's rule: 99.6 shows as 99, never 100 */
            if (pm >= 5 && nsel <= 40) ND_CHECK(nd_sink_u64(s, nd_share_units(ab, den[i], 2)));
            ND_CHECK(nd_sink_puts(s, "</td>"));
        }
        ND_CHECK(nd_sink_puts(s, "</tr>\n"));
    }
    ND_CHECK(nd_sink_puts(s, "</tbody></table></div>\n</section>\n"));
out:
    free(sel);
    free(pos);
    free(cell);
    free(di);
    free(den);
    return st;
}

static nd_status write_documents(const nd_report *r, nd_sink *s) {
    ND_TRY(nd_sink_puts(s, "<section id=\"documents\">\n<h2>Documents</h2>\n"
                           "<table class=\"list sortable\">\n<thead><tr>"
                           "<th class=\"num\" data-type=\"num\">#</th><th>path</th>"
                           "<th class=\"num\" data-type=\"num\">paragraphs</th>"
                           "<th class=\"num\" data-type=\"num\">characters</th>"
                           "<th class=\"num\" data-type=\"num\">comparable</th>"
                           "<th class=\"num\" data-type=\"num\">found elsewhere</th>"
                           "<th class=\"num\" data-type=\"num\">repeated within</th>"
                           "</tr></thead>\n<tbody>\n"));
    for (size_t i = 0, n = nd_report_document_count(r); i < n; i++) {
        nd_document_info di;
        ND_TRY(nd_report_document(r, i, &di));
        uint64_t den = nd_wr_comparable(r, i);
        ND_TRY(nd_sink_puts(s, "<tr id=\"doc-"));
        ND_TRY(nd_sink_u64(s, i));
        ND_TRY(nd_sink_puts(s, "\" data-path=\""));
        ND_TRY(put_html(s, di.path));
        ND_TRY(nd_sink_puts(s, "\"><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_u64(s, i));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_u64(s, i));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"path\" data-v=\""));
        ND_TRY(put_html(s, di.path));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(put_html_path(s, di.path));
        if (di.gzip) ND_TRY(nd_sink_puts(s, " <span class=\"loc\">(gzip)</span>"));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_u64(s, di.paragraphs));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_u64(s, di.paragraphs));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_u64(s, di.chars));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_u64(s, di.chars));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_u64(s, den));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_u64(s, den));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_share(s, di.elsewhere_chars, den));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_percent(s, di.elsewhere_chars, den));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_share(s, di.within_chars, den));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_percent(s, di.within_chars, den));
        ND_TRY(nd_sink_puts(s, "</td></tr>\n"));
    }
    return nd_sink_puts(s, "</tbody></table>\n</section>\n");
}

static nd_status write_pairs(const nd_report *r, int passages, nd_sink *s) {
    size_t no = nd_report_overlap_count(r), shown = ND_MIN(no, (size_t)ND_HTML_MAX_PAIRS);
    ND_TRY(nd_sink_puts(s, "<section id=\"pairs\">\n<h2>Document pairs</h2>\n"
                           "<p class=\"note\">Click a heading to sort, a row to see the "));
    ND_TRY(nd_sink_puts(s, passages ? "passages the pair shares." : "pair's clusters."));
    if (shown < no) {
        ND_TRY(nd_sink_puts(s, " Showing the "));
        ND_TRY(nd_sink_u64(s, shown));
        ND_TRY(nd_sink_puts(s, " pairs with the most overlap, of "));
        ND_TRY(nd_sink_u64(s, no));
        ND_TRY(nd_sink_putc(s, '.'));
    }
    ND_TRY(nd_sink_puts(s, "</p>\n<table class=\"list sortable\" id=\"pair-table\">\n"
                           "<thead><tr><th>A</th><th>B</th>"
                           "<th class=\"num\" data-type=\"num\">A in B</th>"
                           "<th class=\"num\" data-type=\"num\">B in A</th>"
                           "<th class=\"num\" data-type=\"num\">"));
    ND_TRY(nd_sink_puts(s, passages ? "passages</th></tr></thead>\n<tbody>\n"
                                    : "clusters</th></tr></thead>\n<tbody>\n"));
    if (no == 0) /* an empty section says so */
        ND_TRY(nd_sink_puts(s, "<tr class=\"empty\"><td colspan=\"5\">None: no two documents "
                               "share text.</td></tr>\n"));
    for (size_t k = 0; k < shown; k++) {
        nd_overlap_info ov;
        nd_document_info da, db;
        ND_TRY(nd_report_overlap(r, k, &ov));
        ND_TRY(nd_report_document(r, ov.a, &da));
        ND_TRY(nd_report_document(r, ov.b, &db));
        ND_TRY(nd_sink_puts(s, "<tr data-a=\""));
        ND_TRY(nd_sink_u64(s, ov.a));
        ND_TRY(nd_sink_puts(s, "\" data-b=\""));
        ND_TRY(nd_sink_u64(s, ov.b));
        ND_TRY(nd_sink_puts(s, "\"><td class=\"path\" data-v=\""));
        ND_TRY(put_html(s, da.path));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(put_html_path(s, da.path));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"path\" data-v=\""));
        ND_TRY(put_html(s, db.path));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(put_html_path(s, db.path));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_share(s, ov.a_in_b, nd_wr_comparable(r, ov.a)));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_percent(s, ov.a_in_b, nd_wr_comparable(r, ov.a)));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_share(s, ov.b_in_a, nd_wr_comparable(r, ov.b)));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_percent(s, ov.b_in_a, nd_wr_comparable(r, ov.b)));
        ND_TRY(nd_sink_puts(s, "</td><td class=\"num\" data-v=\""));
        ND_TRY(nd_sink_u64(s, ov.clusters));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_u64(s, ov.clusters));
        ND_TRY(nd_sink_puts(s, "</td></tr>\n"));
    }
    return nd_sink_puts(s, "</tbody></table>\n</section>\n");
}

static nd_status write_cluster(const nd_report *r, size_t c, nd_sink *s) {
    nd_status st = ND_OK;
    nd_cluster_info ci;
    uint32_t *rep = NULL, *x = NULL;
    size_t nrep = 0, nx = 0, shown;
    int rep_cut = 0;
    const char *text;
    size_t len;

    ND_CHECK(nd_report_cluster(r, c, &ci));
    shown = ND_MIN(ci.size, (size_t)ND_HTML_MAX_MEMBERS);
    ND_CHECK(nd_sink_puts(s, "<article class=\"cluster\" id=\"cluster-"));
    ND_CHECK(nd_sink_u64(s, c));
    /* data-docs: the documents of all members; data-self: documents holding
     * two or more members (for the heat map's diagonal) */
    ND_CHECK(nd_sink_puts(s, "\" data-docs=\" "));
    {
        uint32_t prev = UINT32_MAX;
        for (size_t m = 0; m < ci.size; m++) { /* members ascend, so docs do too */
            nd_paragraph_info pi;
            ND_CHECK(nd_report_paragraph(r, ci.members[m], &pi));
            if (pi.doc == prev) continue;
            prev = pi.doc;
            ND_CHECK(nd_sink_u64(s, pi.doc));
            ND_CHECK(nd_sink_putc(s, ' '));
        }
        ND_CHECK(nd_sink_puts(s, "\" data-self=\" "));
        uint32_t last_out = UINT32_MAX;
        prev = UINT32_MAX;
        for (size_t m = 0; m < ci.size; m++) {
            nd_paragraph_info pi;
            ND_CHECK(nd_report_paragraph(r, ci.members[m], &pi));
            if (pi.doc == prev && pi.doc != last_out) {
                ND_CHECK(nd_sink_u64(s, pi.doc));
                ND_CHECK(nd_sink_putc(s, ' '));
                last_out = pi.doc;
            }
            prev = pi.doc;
        }
    }
    ND_CHECK(nd_sink_puts(s, "\">\n<h3>Cluster "));
    ND_CHECK(nd_sink_u64(s, c));
    ND_CHECK(nd_sink_puts(s, " &middot; "));
    ND_CHECK(nd_sink_u64(s, ci.size));
    ND_CHECK(nd_sink_puts(s, " members in "));
    ND_CHECK(nd_sink_u64(s, ci.documents));
    ND_CHECK(nd_sink_puts(s, ci.documents == 1 ? " document" : " documents"));
    ND_CHECK(nd_sink_puts(s, "</h3>\n"));
    ND_CHECK(nd_report_paragraph_text(r, ci.members[0], &text, &len));
    ND_CHECK(decode_cps(text, len, ND_HTML_MAX_CHARS, &rep, &nrep, &rep_cut));
    for (size_t m = 0; m < shown; m++) {
        nd_paragraph_info pi;
        nd_document_info di;
        int cut = 0, diffed = 1;
        ND_CHECK(nd_report_paragraph(r, ci.members[m], &pi));
        ND_CHECK(nd_report_document(r, pi.doc, &di));
        ND_CHECK(nd_sink_puts(s, m == 0 ? "<div class=\"member rep\"><div class=\"loc\">"
                                        : "<div class=\"member\"><div class=\"loc\">"));
        ND_CHECK(put_path_line(s, di.path, pi.line));
        if (m == 0) {
            ND_CHECK(nd_sink_puts(s, " &middot; representative"));
        } else {
            ND_CHECK(nd_sink_puts(s, " &middot; similarity "));
            ND_CHECK(nd_sink_fixed(s, nd_unit_units(pi.similarity, 4), 4));
        }
        ND_CHECK(nd_sink_puts(s, "</div><div class=\"text\">"));
        if (m == 0) {
            ND_CHECK(put_cps(s, rep, nrep));
            cut = rep_cut;
        } else {
            ND_CHECK(nd_report_paragraph_text(r, ci.members[m], &text, &len));
            free(x);
            x = NULL;
            ND_CHECK(decode_cps(text, len, ND_HTML_MAX_CHARS, &x, &nx, &cut));
            if (cut || rep_cut) {
                diffed = 0;
                ND_CHECK(put_cps(s, x, nx));
            } else {
                ND_CHECK(put_diff(s, rep, nrep, x, nx, &diffed));
            }
        }
        if (cut) ND_CHECK(nd_sink_puts(s, "&hellip;"));
        ND_CHECK(nd_sink_puts(s, "</div>"));
        if (!diffed)
            ND_CHECK(nd_sink_puts(s, "<div class=\"loc\">(too long for a character "
                                     "diff)</div>"));
        ND_CHECK(nd_sink_puts(s, "</div>\n"));
    }
    if (shown < ci.size) {
        ND_CHECK(nd_sink_puts(s, "<p class=\"note\">and "));
        ND_CHECK(nd_sink_u64(s, ci.size - shown));
        ND_CHECK(nd_sink_puts(s, " more members</p>\n"));
    }
    ND_CHECK(nd_sink_puts(s, "</article>\n"));
out:
    free(rep);
    free(x);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Pair views (--passages)                                                    */
/* ------------------------------------------------------------------------ */

static const char views_css[] = ".pairview{border-top:1px solid var(--line);padding:8px 0}\n"
                                ".pairview summary{cursor:pointer}\n"
                                ".pairview .sxs{margin-top:10px}\n"
                                ".pairview h3{font-size:13px;margin:0 0 6px}\n"
                                "mark.cm{background:#e3e6eb;outline:1px dashed #9aa3b2}\n"
                                ".common{color:var(--muted);font-style:italic}\n";

static const char views_js[] =
    "(function(){\n"
    "'use strict';\n"
    "function marks(m){return document.querySelectorAll('mark[data-v=\"'+m.dataset.v+"
    "'\"][data-p=\"'+m.dataset.p+'\"]');}\n"
    "document.querySelectorAll('.pairview mark').forEach(function(m){\n"
    "m.addEventListener('mouseenter',function(){marks(m).forEach("
    "function(x){x.classList.add('hot');});});\n"
    "m.addEventListener('mouseleave',function(){marks(m).forEach("
    "function(x){x.classList.remove('hot');});});\n"
    "m.addEventListener('click',function(){var o=m.dataset.s==='a'?'b':'a';"
    "var t=document.getElementById('v'+m.dataset.v+'-'+o+'-p'+m.dataset.p);"
    "if(t)t.scrollIntoView({block:'center'});});});\n"
    "function open(a,b){var v=document.getElementById('pair-'+a+'-'+b)||"
    "document.getElementById('pair-'+b+'-'+a);if(v){v.open=true;v.scrollIntoView();}}\n"
    "document.querySelectorAll('#pairs tbody tr').forEach(function(tr){"
    "tr.addEventListener('click',function(){open(tr.dataset.a,tr.dataset.b);});});\n"
    "document.querySelectorAll('td.cell').forEach(function(td){"
    "td.addEventListener('click',function(){open(td.dataset.a,td.dataset.b);});});\n"
    "document.documentElement.setAttribute('data-views','1');\n"
    "})();\n";

/* Per document, the passages with a place in it, ascending:
 * pass[start[d] .. start[d+1]-1]. */
typedef struct view_index {
    size_t *start;
    size_t *pass;
} view_index;

static void view_index_free(view_index *vx) {
    free(vx->start);
    free(vx->pass);
}

static nd_status view_index_build(const nd_report *r, view_index *vx) {
    nd_status st = ND_OK;
    size_t nd = nd_report_document_count(r), np = nd_report_passage_count(r);
    size_t *cur = NULL;
    vx->start = nd_calloc(nd + 1, sizeof *vx->start);
    cur = nd_calloc(nd + 1, sizeof *cur);
    if (!vx->start || !cur) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < np; i++) {
            nd_passage_record_info pi;
            uint32_t prev = UINT32_MAX;
            ND_CHECK(nd_report_passage(r, i, &pi));
            for (size_t j = 0; j < pi.places; j++) { /* places by (doc, offset) */
                nd_passage_place pl;
                ND_CHECK(nd_report_passage_place(r, i, j, &pl));
                if (pl.doc == prev) continue;
                prev = pl.doc;
                if (fill)
                    vx->pass[cur[pl.doc]++] = i;
                else
                    vx->start[pl.doc + 1]++;
            }
        }
        if (fill) break;
        for (size_t d = 0; d < nd; d++) {
            vx->start[d + 1] += vx->start[d];
            cur[d] = vx->start[d];
        }
        if (!(vx->pass = nd_mallocn(vx->start[nd] ? vx->start[nd] : 1, sizeof *vx->pass))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
out:
    free(cur);
    return st;
}

/* The places of passage i in document doc: "path:line, line, ...", the
 * first linked to its mark in the view. */
static nd_status put_view_places(const nd_report *r, size_t i, uint32_t doc, const char *view,
                                 char side, nd_sink *s) {
    nd_passage_record_info pi;
    nd_document_info di;
    int first = 1;
    ND_TRY(nd_report_passage(r, i, &pi));
    ND_TRY(nd_report_document(r, doc, &di));
    for (size_t j = 0; j < pi.places; j++) {
        nd_passage_place pl;
        ND_TRY(nd_report_passage_place(r, i, j, &pl));
        if (pl.doc != doc) continue;
        if (first) {
            ND_TRY(nd_sink_puts(s, "<a href=\"#v"));
            ND_TRY(nd_sink_puts(s, view));
            ND_TRY(nd_sink_putc(s, '-'));
            ND_TRY(nd_sink_putc(s, side));
            ND_TRY(nd_sink_puts(s, "-p"));
            ND_TRY(nd_sink_u64(s, i));
            ND_TRY(nd_sink_puts(s, "\">"));
            ND_TRY(put_path_line(s, di.path, pl.line));
            ND_TRY(nd_sink_puts(s, "</a>"));
            first = 0;
        } else {
            ND_TRY(nd_sink_puts(s, ", "));
            ND_TRY(nd_sink_u64(s, pl.line));
        }
    }
    return ND_OK;
}

/* One side of a view: the document's text (its first ND_HTML_MAX_VIEW_BYTES)
 * with the places of the view's passages ids[0..n-1] in it marked. */
static nd_status write_view_side(const nd_report *r, uint32_t doc, const mark_style *ms,
                                 char **tbuf, size_t *tcap, mark_span **sp, size_t *spcap,
                                 nd_sink *s) {
    nd_document_info di;
    size_t tlen, nsp = 0;
    uint64_t tsize;
    ND_TRY(nd_report_document(r, doc, &di));
    ND_TRY(nd_report_document_text(r, doc, ND_HTML_MAX_VIEW_BYTES + 4, tbuf, tcap, &tlen, &tsize));
    if (tlen > ND_HTML_MAX_VIEW_BYTES) { /* cut on a character boundary */
        tlen = ND_HTML_MAX_VIEW_BYTES;
        while (tlen > 0 && ((unsigned char)(*tbuf)[tlen] & 0xC0) == 0x80) tlen--;
    }
    for (size_t q = 0; q < ms->nq; q++) {
        nd_passage_record_info pi;
        ND_TRY(nd_report_passage(r, ms->ids[q], &pi));
        for (size_t j = 0; j < pi.places; j++) {
            nd_passage_place pl;
            uint64_t off, len;
            ND_TRY(nd_report_passage_place(r, ms->ids[q], j, &pl));
            if (pl.doc != doc) continue;
            ND_TRY(nd_report_passage_span(r, ms->ids[q], j, &off, &len));
            ND_TRY(ND_GROW(*sp, *spcap, nsp + 1));
            (*sp)[nsp++] = (mark_span){off, off + len, q};
        }
    }
    ND_TRY(nd_sink_puts(s, "<section class=\"doc\">\n<h3>"));
    ND_TRY(nd_sink_puts(s, ms->side == 'a' ? "A" : "B"));
    ND_TRY(nd_sink_puts(s, " &middot; <span class=\"path\">"));
    ND_TRY(put_html(s, di.path));
    ND_TRY(nd_sink_puts(s, "</span></h3>\n"));
    if (tlen < tsize) {
        ND_TRY(nd_sink_puts(s, "<p class=\"note\">"));
        if (tlen == 0) {
            ND_TRY(nd_sink_puts(s, "The file changed since the scan.</p>\n"));
        } else {
            ND_TRY(nd_sink_puts(s, "The first "));
            ND_TRY(nd_sink_u64(s, tlen));
            ND_TRY(nd_sink_puts(s, " bytes of "));
            ND_TRY(nd_sink_u64(s, tsize));
            ND_TRY(nd_sink_puts(s, ".</p>\n"));
        }
    }
    ND_TRY(put_marked(s, *tbuf, tlen, *sp, nsp, ms));
    return nd_sink_puts(s, "</section>\n");
}

/* The row of passage ids[q] in view `view` of documents a and b. */
static nd_status write_view_row(const nd_report *r, const mark_style *ms, size_t q, uint32_t a,
                                uint32_t b, nd_sink *s) {
    nd_passage_record_info pi;
    size_t i = ms->ids[q], ja = 0, len;
    const char *text;
    int cut;
    ND_TRY(nd_report_passage(r, i, &pi));
    for (size_t j = 0; j < pi.places; j++) { /* the preview: its text in a */
        nd_passage_place pl;
        ND_TRY(nd_report_passage_place(r, i, j, &pl));
        if (pl.doc == a) {
            ja = j;
            break;
        }
    }
    ND_TRY(nd_sink_puts(s, pi.common ? "<tr><td class=\"num\"><mark class=\"cm\""
                                     : "<tr><td class=\"num\"><mark class=\"c"));
    if (!pi.common) {
        ND_TRY(nd_sink_u64(s, q % 8));
        ND_TRY(nd_sink_putc(s, '"'));
    }
    ND_TRY(nd_sink_puts(s, " data-v=\""));
    ND_TRY(nd_sink_puts(s, ms->view));
    ND_TRY(nd_sink_puts(s, "\" data-s=\"t\" data-p=\""));
    ND_TRY(nd_sink_u64(s, i));
    ND_TRY(nd_sink_puts(s, "\">&nbsp;#"));
    ND_TRY(nd_sink_u64(s, i));
    ND_TRY(nd_sink_puts(s, "&nbsp;</mark></td><td class=\"num\">"));
    ND_TRY(nd_sink_u64(s, pi.chars));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(pi.similarity, 4), 4));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"path\">"));
    ND_TRY(put_view_places(r, i, a, ms->view, 'a', s));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"path\">"));
    ND_TRY(put_view_places(r, i, b, ms->view, 'b', s));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"text\">"));
    ND_TRY(nd_report_passage_text(r, i, ja, &text, &len));
    len = nd_wr_prefix_chars(text, len, ND_HTML_PREVIEW, &cut);
    ND_TRY(nd_sink_html(s, text, len));
    if (cut) ND_TRY(nd_sink_puts(s, "&hellip;"));
    if (pi.common) ND_TRY(nd_sink_puts(s, " <span class=\"common\">(common text)</span>"));
    return nd_sink_puts(s, "</td></tr>\n");
}

/* The pairs of the overlaps (with passages they come from the passages, so
 * a pair that shares no cluster has its view too), each with the passages
 * it shares and both texts side by side with them marked. */
static nd_status write_views(const nd_report *r, nd_sink *s) {
    nd_status st = ND_OK;
    view_index vx = {0};
    size_t *ids = NULL, np = nd_report_passage_count(r), tcap = 0, spcap = 0;
    size_t no = nd_report_overlap_count(r), shown = ND_MIN(no, (size_t)ND_HTML_MAX_VIEWS);
    unsigned char *common = NULL;
    char *tbuf = NULL;
    mark_span *sp = NULL;
    nd_summary sum;

    ND_CHECK(nd_report_summary(r, &sum));
    ND_CHECK(view_index_build(r, &vx));
    ids = nd_mallocn(ND_MIN(np, (size_t)ND_HTML_MAX_VIEW_PASSAGES) + 1, sizeof *ids);
    common = nd_calloc(ND_MIN(np, (size_t)ND_HTML_MAX_VIEW_PASSAGES) + 1, 1);
    if (!ids || !common) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_sink_puts(s, "<section id=\"pair-views\">\n<h2>Copied passages by document "
                             "pair</h2>\n<p class=\"note\">Per document pair: the passages "
                             "the two documents share (largest first) and both texts side "
                             "by side with them marked (a passage is listed once, with its "
                             "places in each document); hover a passage to see its other "
                             "side, click it to scroll there. <span class=\"common\">Common "
                             "text</span> (passages in more than "));
    ND_CHECK(nd_sink_u64(s, sum.common_docs));
    ND_CHECK(nd_sink_puts(s, " documents) is marked grey and left out of the overlaps."));
    if (shown < no) {
        ND_CHECK(nd_sink_puts(s, " Showing the "));
        ND_CHECK(nd_sink_u64(s, shown));
        ND_CHECK(nd_sink_puts(s, " pairs with the most overlap, of "));
        ND_CHECK(nd_sink_u64(s, no));
        ND_CHECK(nd_sink_putc(s, '.'));
    }
    ND_CHECK(nd_sink_puts(s, "</p>\n"));
    if (no == 0)
        ND_CHECK(nd_sink_puts(s, "<p class=\"empty\">None: no two documents share a "
                                 "passage.</p>\n"));
    for (size_t k = 0; k < shown; k++) {
        nd_overlap_info ov;
        nd_document_info da, db;
        char view[24];
        size_t nv = 0, nshared = 0, vl = sizeof view, v = k;
        ND_CHECK(nd_report_overlap(r, k, &ov));
        ND_CHECK(nd_report_document(r, ov.a, &da));
        ND_CHECK(nd_report_document(r, ov.b, &db));
        view[--vl] = '\0'; /* k in decimal, in the marks' data-v and ids */
        do {
            view[--vl] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        /* the passages with places in both: the two ascending lists' common part */
        for (size_t x = vx.start[ov.a], y = vx.start[ov.b];
             x < vx.start[ov.a + 1] && y < vx.start[ov.b + 1];) {
            if (vx.pass[x] < vx.pass[y])
                x++;
            else if (vx.pass[y] < vx.pass[x])
                y++;
            else {
                if (nv < ND_HTML_MAX_VIEW_PASSAGES) {
                    nd_passage_record_info pi;
                    ND_CHECK(nd_report_passage(r, vx.pass[x], &pi));
                    common[nv] = pi.common != 0;
                    ids[nv++] = vx.pass[x];
                }
                nshared++;
                x++;
                y++;
            }
        }
        mark_style ms = {'a', view + vl, ids, common, 1, 1, nv};
        ND_CHECK(nd_sink_puts(s, "<details class=\"pairview\" id=\"pair-"));
        ND_CHECK(nd_sink_u64(s, ov.a));
        ND_CHECK(nd_sink_putc(s, '-'));
        ND_CHECK(nd_sink_u64(s, ov.b));
        ND_CHECK(nd_sink_puts(s, "\" data-a=\""));
        ND_CHECK(nd_sink_u64(s, ov.a));
        ND_CHECK(nd_sink_puts(s, "\" data-b=\""));
        ND_CHECK(nd_sink_u64(s, ov.b));
        ND_CHECK(nd_sink_puts(s, "\">\n<summary><span class=\"path\">"));
        ND_CHECK(put_html(s, da.path));
        ND_CHECK(nd_sink_puts(s, "</span> &harr; <span class=\"path\">"));
        ND_CHECK(put_html(s, db.path));
        ND_CHECK(nd_sink_puts(s, "</span> &middot; "));
        ND_CHECK(nd_sink_u64(s, nshared));
        ND_CHECK(nd_sink_puts(s, nshared == 1 ? " passage &middot; " : " passages &middot; "));
        ND_CHECK(nd_sink_percent(s, ov.a_in_b, nd_wr_comparable(r, ov.a)));
        ND_CHECK(nd_sink_puts(s, " of A in B, "));
        ND_CHECK(nd_sink_percent(s, ov.b_in_a, nd_wr_comparable(r, ov.b)));
        ND_CHECK(nd_sink_puts(s, " of B in A</summary>\n<table class=\"list\">\n<thead><tr>"
                                 "<th class=\"num\">#</th><th class=\"num\">characters</th>"
                                 "<th class=\"num\">similarity</th><th>in A</th><th>in B"
                                 "</th><th>text</th></tr></thead>\n<tbody>\n"));
        for (size_t q = 0; q < nv; q++) ND_CHECK(write_view_row(r, &ms, q, ov.a, ov.b, s));
        ND_CHECK(nd_sink_puts(s, "</tbody></table>\n"));
        if (nv < nshared) {
            ND_CHECK(nd_sink_puts(s, "<p class=\"note\">and "));
            ND_CHECK(nd_sink_u64(s, nshared - nv));
            ND_CHECK(nd_sink_puts(s, " more passages, not listed or marked</p>\n"));
        }
        ND_CHECK(nd_sink_puts(s, "<div class=\"sxs\">\n"));
        ND_CHECK(write_view_side(r, ov.a, &ms, &tbuf, &tcap, &sp, &spcap, s));
        ms.side = 'b';
        ND_CHECK(write_view_side(r, ov.b, &ms, &tbuf, &tcap, &sp, &spcap, s));
        ND_CHECK(nd_sink_puts(s, "</div>\n</details>\n"));
    }
    ND_CHECK(nd_sink_puts(s, "</section>\n"));
out:
    view_index_free(&vx);
    free(ids);
    free(common);
    free(tbuf);
    free(sp);
    return st;
}

nd_status nd_write_html(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    nd_summary sum;
    size_t ncl = nd_report_cluster_count(r), shown = ND_MIN(ncl, (size_t)ND_HTML_MAX_CLUSTERS);
    ND_UNUSED(wo);
    ND_TRY(nd_report_summary(r, &sum));
    ND_TRY(page_start(s, "neardup report", sum.passages ? views_css : NULL));
    ND_TRY(nd_sink_puts(s, "<header><h1>neardup overlap report</h1><p>"));
    ND_TRY(nd_sink_u64(s, sum.files));
    ND_TRY(nd_sink_puts(s, sum.files == 1 ? " document, " : " documents, "));
    uint64_t comparable = nd_wr_comparable_total(r);
    ND_TRY(nd_sink_percent(s, sum.duplicated_chars, comparable));
    ND_TRY(nd_sink_puts(s, " of the comparable text is duplicated (Jaccard threshold "));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(sum.threshold, 2), 2));
    ND_TRY(nd_sink_puts(s, ")</p></header>\n<main>\n<section id=\"totals\">\n<h2>Totals</h2>\n"
                           "<dl class=\"totals\">\n"));
    ND_TRY(put_total(s, "documents", sum.files));
    ND_TRY(put_total(s, "skipped inputs", sum.skipped));
    ND_TRY(put_total(s, "bytes", sum.bytes));
    ND_TRY(put_total(s, "paragraphs", sum.paragraphs));
    ND_TRY(put_total(s, "short paragraphs", sum.short_paragraphs));
    ND_TRY(put_total(s, "characters", sum.chars));
    ND_TRY(put_total(s, "comparable characters", comparable));
    ND_TRY(put_total(s, "clusters", sum.clusters));
    ND_TRY(put_total(s, "paragraphs in clusters", sum.clustered_paragraphs));
    ND_TRY(put_total(s, "duplicated characters", sum.duplicated_chars));
    if (sum.passages) {
        ND_TRY(put_total(s, "copied passages", sum.passage_records));
        ND_TRY(put_total(s, "common-text passages", sum.common_passages));
    }
    ND_TRY(nd_sink_puts(s, "<div><dt>duplicated share of comparable</dt><dd>"));
    ND_TRY(nd_sink_percent(s, sum.duplicated_chars, comparable));
    ND_TRY(nd_sink_puts(s, "</dd></div>\n</dl>\n<p class=\"note\">MinHash "));
    ND_TRY(nd_sink_u64(s, sum.num_perm));
    ND_TRY(nd_sink_puts(s, " permutations, LSH "));
    ND_TRY(nd_sink_u64(s, sum.bands));
    ND_TRY(nd_sink_puts(s, " bands &times; "));
    ND_TRY(nd_sink_u64(s, sum.rows));
    ND_TRY(nd_sink_puts(s, " rows, shingles of "));
    ND_TRY(nd_sink_u64(s, sum.shingle));
    ND_TRY(nd_sink_puts(s, " tokens; "));
    ND_TRY(nd_sink_u64(s, sum.candidate_pairs));
    ND_TRY(nd_sink_puts(s, " candidate pairs, "));
    ND_TRY(nd_sink_u64(s, sum.verified_pairs));
    ND_TRY(nd_sink_puts(s, " verified.</p>\n</section>\n"));
    ND_TRY(write_matrix(r, sum.passages != 0, s));
    ND_TRY(write_pairs(r, sum.passages != 0, s));
    if (sum.passages) ND_TRY(write_views(r, s));
    ND_TRY(write_documents(r, s));
    ND_TRY(nd_sink_puts(s, "<section id=\"clusters\">\n<h2>Clusters ("));
    ND_TRY(nd_sink_u64(s, ncl));
    ND_TRY(nd_sink_puts(s, ")</h2>\n<p class=\"note\">Each member against the first "
                           "(the representative): <del>only in the representative</del> "
                           "<ins>only in the member</ins>."));
    if (shown < ncl) {
        ND_TRY(nd_sink_puts(s, " Showing the "));
        ND_TRY(nd_sink_u64(s, shown));
        ND_TRY(nd_sink_puts(s, " largest."));
    }
    ND_TRY(nd_sink_puts(s, "</p>\n<p class=\"note\" id=\"filter-note\" hidden><span "
                           "id=\"filter-text\"></span> <button id=\"show-all\" "
                           "type=\"button\">show all</button></p>\n"));
    if (ncl == 0) {
        ND_TRY(nd_sink_puts(s, "<p class=\"empty\">None: no paragraph repeats at Jaccard "
                               "threshold "));
        ND_TRY(nd_sink_fixed(s, nd_unit_units(sum.threshold, 2), 2));
        ND_TRY(nd_sink_puts(s, ".</p>\n"));
    }
    for (size_t c = 0; c < shown; c++) ND_TRY(write_cluster(r, c, s));
    ND_TRY(nd_sink_puts(s, "</section>\n</main>\n<div id=\"tip\"></div>\n<script>\n"));
    ND_TRY(nd_sink_puts(s, scan_js));
    if (sum.passages) { /* after scan_js: a row's click opens the view last */
        ND_TRY(nd_sink_puts(s, "</script>\n<script>\n"));
        ND_TRY(nd_sink_puts(s, views_js));
    }
    return nd_sink_puts(s, "</script>\n</body>\n</html>\n");
}

/* ------------------------------------------------------------------------ */
/* Compare report                                                             */
/* ------------------------------------------------------------------------ */

static const char compare_js[] =
    "(function(){\n"
    "'use strict';\n"
    "function marks(p){return document.querySelectorAll('mark[data-p=\"'+p+'\"]');}\n"
    "document.querySelectorAll('mark').forEach(function(m){\n"
    "m.addEventListener('mouseenter',function(){marks(m.dataset.p).forEach("
    "function(x){x.classList.add('hot');});});\n"
    "m.addEventListener('mouseleave',function(){marks(m.dataset.p).forEach("
    "function(x){x.classList.remove('hot');});});\n"
    "m.addEventListener('click',function(){var other=m.dataset.s==='a'?'b':'a';"
    "var t=document.getElementById(other+'-p'+m.dataset.p);"
    "if(t)t.scrollIntoView({block:'center'});});});\n"
    "document.documentElement.setAttribute('data-ready','1');\n"
    "})();\n";

/* One document with the passages' spans on side `side` marked. */
static nd_status write_marked(const nd_compare *c, unsigned side, nd_sink *s) {
    nd_status st = ND_OK;
    const char *text;
    size_t len, np = nd_compare_passage_count(c);
    mark_span *sp = NULL;

    ND_CHECK(nd_compare_document_text(c, side, &text, &len));
    if (!(sp = nd_mallocn(np ? np : 1, sizeof *sp))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t p = 0; p < np; p++) {
        nd_passage_info pi;
        ND_CHECK(nd_compare_passage(c, p, &pi));
        sp[p].off = pi.side[side].text_offset;
        sp[p].end = pi.side[side].text_offset + pi.side[side].text_length;
        sp[p].q = p;
    }
    mark_style ms = {side ? 'b' : 'a', "", NULL, NULL, 0, 0, np};
    ND_CHECK(put_marked(s, text, len, sp, np, &ms));
out:
    free(sp);
    return st;
}

nd_status nd_write_compare_html(const nd_compare *c, const nd_write_options *wo, nd_sink *s) {
    nd_compare_doc_info di[2];
    size_t np = nd_compare_passage_count(c);
    static const char *const label[2] = {"A", "B"};
    ND_UNUSED(wo);
    for (unsigned i = 0; i < 2; i++) ND_TRY(nd_compare_document(c, i, &di[i]));
    ND_TRY(page_start(s, "neardup compare", NULL));
    ND_TRY(nd_sink_puts(s, "<header><h1>neardup compare</h1>\n"));
    for (int i = 0; i < 2; i++) {
        ND_TRY(nd_sink_puts(s, "<p class=\"share\" id=\"share-"));
        ND_TRY(nd_sink_puts(s, i ? "b" : "a"));
        ND_TRY(nd_sink_puts(s, "\">"));
        ND_TRY(nd_sink_percent(s, di[i].covered_chars, di[i].chars));
        ND_TRY(nd_sink_puts(s, i ? " of B (" : " of A ("));
        ND_TRY(put_html(s, di[i].path));
        ND_TRY(nd_sink_puts(s, i ? ") appears in A" : ") appears in B"));
        ND_TRY(nd_sink_puts(s, "</p>\n"));
    }
    ND_TRY(nd_sink_puts(s, "</header>\n<main>\n<section id=\"passages\">\n<h2>"));
    ND_TRY(nd_sink_u64(s, np));
    ND_TRY(nd_sink_puts(s, np == 1 ? " shared passage" : " shared passages"));
    ND_TRY(nd_sink_puts(s, "</h2>\n<table class=\"list\">\n<thead><tr><th class=\"num\">#"
                           "</th><th>in A</th><th>in B</th><th class=\"num\">matching "
                           "characters</th></tr></thead>\n<tbody>\n"));
    for (size_t p = 0; p < np; p++) {
        nd_passage_info pi;
        ND_TRY(nd_compare_passage(c, p, &pi));
        ND_TRY(nd_sink_puts(s, "<tr class=\"passage\"><td class=\"num\"><mark class=\"c"));
        ND_TRY(nd_sink_u64(s, p % 8));
        ND_TRY(nd_sink_puts(s, "\" data-p=\""));
        ND_TRY(nd_sink_u64(s, p));
        ND_TRY(nd_sink_puts(s, "\" data-s=\"t\">&nbsp;"));
        ND_TRY(nd_sink_u64(s, p));
        ND_TRY(nd_sink_puts(s, "&nbsp;</mark></td>"));
        for (int i = 0; i < 2; i++) {
            ND_TRY(nd_sink_puts(s, "<td class=\"path\"><a href=\"#"));
            ND_TRY(nd_sink_putc(s, i ? 'b' : 'a'));
            ND_TRY(nd_sink_puts(s, "-p"));
            ND_TRY(nd_sink_u64(s, p));
            ND_TRY(nd_sink_puts(s, "\">"));
            ND_TRY(put_path_line(s, di[i].path, pi.side[i].line));
            if (pi.side[i].end_line != pi.side[i].line) {
                ND_TRY(nd_sink_putc(s, '-'));
                ND_TRY(nd_sink_u64(s, pi.side[i].end_line));
            }
            ND_TRY(nd_sink_puts(s, "</a></td>"));
        }
        ND_TRY(nd_sink_puts(s, "<td class=\"num\">"));
        ND_TRY(nd_sink_u64(s, pi.matched_chars));
        ND_TRY(nd_sink_puts(s, "</td></tr>\n"));
    }
    ND_TRY(nd_sink_puts(s, "</tbody></table>\n</section>\n<div class=\"sxs\">\n"));
    for (unsigned i = 0; i < 2; i++) {
        ND_TRY(nd_sink_puts(s, "<section class=\"doc\" id=\"doc-"));
        ND_TRY(nd_sink_putc(s, i ? 'b' : 'a'));
        ND_TRY(nd_sink_puts(s, "\">\n<h2>"));
        ND_TRY(nd_sink_puts(s, label[i]));
        ND_TRY(nd_sink_puts(s, " &middot; <span class=\"path\">"));
        ND_TRY(put_html(s, di[i].path));
        ND_TRY(nd_sink_puts(s, "</span></h2>\n"));
        ND_TRY(write_marked(c, i, s));
        ND_TRY(nd_sink_puts(s, "</section>\n"));
    }
    ND_TRY(nd_sink_puts(s, "</div>\n</main>\n<script>\n"));
    ND_TRY(nd_sink_puts(s, compare_js));
    return nd_sink_puts(s, "</script>\n</body>\n</html>\n");
}
