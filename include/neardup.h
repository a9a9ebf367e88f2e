/*
 * neardup.h - the whole public API of libneardup.
 *
 * libneardup finds copied and near-duplicate paragraphs in a corpus of
 * documents and reports how much each document overlaps the others.
 *
 * The pipeline (each stage a module of the library):
 *
 *   paths -> documents -> paragraphs -> normalised tokens -> shingle hashes
 *         -> MinHash signatures -> LSH band keys -> candidate pairs
 *         -> exact-Jaccard verification -> clusters -> report model -> writers
 *
 * Conventions (the contract for every function below):
 *   - Functions that can fail return an nd_status; ND_OK (0) is success and
 *     results are written through out-parameters, which are left untouched on
 *     failure unless stated otherwise.  nd_strerror() names every code.
 *   - Handles are opaque and come in nd_x_new() / nd_x_free() pairs; every
 *     free function accepts NULL.
 *   - The library never prints, never exits and keeps no global mutable state.
 *     Separate handles may be used from separate threads at the same time; one
 *     handle must not be used by two threads at once unless stated otherwise.
 *     A finished nd_report is immutable and may be read from many threads.
 *   - Strings are NUL-terminated UTF-8 unless a length is given.  Paths are
 *     byte strings exactly as the caller gave them.
 *   - Every function of the library is declared here, marked ND_API; the
 *     shared library exports these and nothing else.
 *
 * ABI (the shared library's SONAME is libneardup.so.0 while the version is
 * 0.x): within one SONAME, functions and enum values are only added, never
 * removed or renumbered; a struct passed by value or filled by the library
 * (nd_options, nd_summary, the *_info structs, ...) keeps its size and
 * layout, and an enum keeps its values, so such a change, or a changed
 * signature, comes only with a new SONAME (libneardup.so.1, ...).  Handles
 * are opaque and may change freely.  Before 1.0, the API (this header)
 * may change between minor versions, and the SONAME changes with it when
 * the ABI does; ND_VERSION_* give the version compiled against, nd_version()
 * the one running.
 */
#ifndef NEARDUP_H
#define NEARDUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported functions.  The library is compiled with hidden
 * visibility and ND_BUILDING_LIBRARY defined; for programs that use it the
 * macro is empty. */
#if defined(ND_BUILDING_LIBRARY) && defined(__GNUC__)
#define ND_API __attribute__((visibility("default")))
#else
#define ND_API
#endif

#define ND_VERSION_MAJOR  0
#define ND_VERSION_MINOR  4
#define ND_VERSION_PATCH  0
#define ND_VERSION_STRING "0.4.0"

/* Returns the library's version string, e.g. "0.4.0".  Never NULL. */
ND_API const char *nd_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum nd_status {
    ND_OK = 0,
    ND_ERR_NOMEM,       /* out of memory */
    ND_ERR_INVALID,     /* invalid argument or option value */
    ND_ERR_IO,          /* input/output error (see nd_diag.sys_errno) */
    ND_ERR_BINARY,      /* file looks binary (NUL byte in the first 8 KiB) */
    ND_ERR_GZIP,        /* corrupt or truncated gzip data */
    ND_ERR_TOO_LARGE,   /* file larger than nd_options.max_file_size */
    ND_ERR_NOT_REGULAR, /* not a regular file or directory (fifo, device, socket) */
    ND_ERR_LOOP,        /* symbolic link loop or directory cycle */
    ND_ERR_DUPLICATE,   /* no longer returned: a repeat is a notice (kept for the numbering) */
    ND_ERR_FORMAT,      /* unknown format name or malformed data */
    ND_ERR_MISMATCH,    /* persisted data was made with other parameters */
    ND_ERR_STATE,       /* call not allowed in the handle's current state */
    ND_ERR_INTERNAL,    /* a bug: an internal invariant did not hold */
    ND_ERR_CANCELLED,   /* stopped by nd_scanner_cancel() */
    ND_ERR_CHANGED,     /* the file changed while it was read (truncated,
                           rewritten, grown, deleted or replaced); results for
                           it may be incomplete */
    ND_ERR_ENCODING,    /* a notice, not an error: the document's encoding
                           was guessed (nd_diag.detail names the guess); it
                           is read in that encoding and not skipped */
    ND_ERR_RECORD,      /* a JSON Lines record that is not a JSON object
                           with nd_options.jsonl_field as a string
                           (nd_diag.path is "FILE:LINE", detail the reason);
                           the record is skipped */
    ND_ERR_ARCHIVE,     /* a corrupt or truncated archive (tar, zip): the
                           members read before the damage are documents,
                           nd_diag.detail says what libarchive found */
    ND_ERR_BUSY,        /* another process holds the index's write lock
                           past the busy timeout (nd_index_errmsg says so) */
    ND_STATUS_COUNT_    /* number of codes; not a status */
} nd_status;

/* Returns a short lower-case English description of a status code, e.g.
 * "out of memory".  Never NULL; unknown codes give "unknown status". */
ND_API const char *nd_strerror(nd_status status);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* How a document is cut into paragraphs (see README, "Paragraphs"). */
typedef enum nd_split_mode {
    ND_SPLIT_AUTO = 0, /* per file, from its structure: BLANK for wrapped prose,
                          verse and other blank-line-separated blocks, LINE
                          where every line is a paragraph or a record
                          (the rule: src/split.c, README "Paragraphs") */
    ND_SPLIT_LINE,     /* every non-blank line is a paragraph */
    ND_SPLIT_BLANK     /* blocks of non-blank lines separated by blank lines */
} nd_split_mode;

/* Normalisation steps, all on by default; each can be switched off. */
enum {
    ND_NORM_NFKC = 1u << 0,     /* Unicode compatibility normalisation (NFKC) */
    ND_NORM_CASEFOLD = 1u << 1, /* Unicode case folding */
    ND_NORM_T2S = 1u << 2,      /* Traditional -> Simplified Chinese, per character */
    ND_NORM_PINYIN = 1u << 3,   /* drop pinyin annotations such as 態(tài) -> 態 */
    ND_NORM_STRIP = 1u << 4,    /* drop whitespace, punctuation and symbols */
    ND_NORM_ALL = 0x1fu
};

/* Size of nd_options.encoding, NUL included. */
#define ND_ENCODING_MAX 32
/* Size of nd_options.jsonl_field and id_field, NUL included. */
#define ND_FIELD_MAX    64

typedef struct nd_options {
    nd_split_mode split;            /* default ND_SPLIT_AUTO */
    unsigned min_chars;             /* paragraphs with fewer normalised characters are
                               counted but not clustered; default 20 */
    unsigned norm_flags;            /* ND_NORM_* bits; default ND_NORM_ALL */
    unsigned shingle;               /* tokens per shingle, 1..64; default 5 */
    unsigned num_perm;              /* MinHash values per paragraph, 1..1024; default 128 */
    uint64_t seed;                  /* seed of shingle hashes and permutations */
    double threshold;               /* Jaccard threshold in (0,1]; default 0.8 */
    unsigned bands;                 /* LSH bands; 0 = choose from threshold/num_perm */
    unsigned rows;                  /* LSH rows per band; 0 = choose */
    uint64_t max_file_size;         /* bytes after decompression; default 1 GiB */
    unsigned threads;               /* worker threads; 0 = number of cores */
    uint32_t max_paragraph_bytes;   /* a longer paragraph is cut into pieces of
                               at most this many bytes (at a line end, a space
                               or a character boundary), each hashed on its
                               own, and a notice (status ND_OK) goes to the
                               diag callback; no text is dropped.  Bounds the
                               memory of one paragraph.  ND_MIN_PARAGRAPH_BYTES
                               .. ND_MAX_PARAGRAPH_BYTES; default 1 MiB */
    uint64_t memory_limit;          /* bytes the LSH stage may keep in memory (band
                               keys and their sort buffers); past it, band
                               keys go to sorted runs in a temporary file
                               (see nd_scanner_set_tmpdir).  0 = default, a
                               quarter of physical memory.  The result does
                               not depend on it. */
    unsigned common_docs;           /* a cluster with members in more documents than
                               this is common text (boilerplate, templates):
                               it counts towards the duplicated and found-
                               elsewhere shares but not towards document-pair
                               overlaps, which would otherwise grow with the
                               square of the corpus.  0 = no limit; default
                               100 */
    char encoding[ND_ENCODING_MAX]; /* how documents are decoded: "auto"
                               (the default) decides per file - UTF-8 is read
                               as it is, UTF-16/UTF-32 are known by their
                               byte-order mark or their NUL bytes, anything
                               else is detected by libuchardet - or an
                               iconv name ("utf-8", "gbk", "utf-16le",
                               "windows-1252", ...) used for every file.
                               Reports give offsets of the original bytes. */
    char jsonl_field[ND_FIELD_MAX]; /* "" (the default): off.  A field name:
                               every file named *.jsonl or *.jsonl.gz is
                               read as JSON Lines, each record (line) one
                               document, the text of this top-level field
                               (a JSON string, decoded), named "FILE:LINE";
                               a malformed record is reported as
                               ND_ERR_RECORD and skipped.  Offsets of its
                               paragraphs are byte offsets in the file
                               (after gzip decompression) where the
                               character's JSON text starts. */
    char id_field[ND_FIELD_MAX];    /* "" (the default) or a field whose value
                               (a string, or a number as written) names
                               each record instead of "FILE:LINE"; needs
                               jsonl_field */
    unsigned passages;              /* 0 (the default): off.  1: the scan also
                               finds every passage of at least min_passage
                               normalised characters that appears in two or
                               more places, across documents and within
                               one, wherever paragraph boundaries fall
                               (nd_report_passage_count ...) */
    unsigned min_passage;           /* shortest passage, normalised characters,
                               1..100000; default 50 */
    unsigned max_gap;               /* exact fragments at most this many characters
                               apart (in both places) make one passage,
                               0..100000; default 16; a passage whose places'
                               token-shingle Jaccard is below threshold is
                               cut at its widest gaps */
} nd_options;

#define ND_MIN_PARAGRAPH_BYTES UINT32_C(64)
#define ND_MAX_PARAGRAPH_BYTES (UINT32_C(1) << 26) /* 64 MiB */

#define ND_DEFAULT_SEED UINT64_C(0x6e65617264757031) /* "neardup1" */

/* Fills *opt with the defaults listed above.  opt must not be NULL. */
ND_API void nd_options_default(nd_options *opt);

/* Checks every field of *opt.  Returns ND_OK or ND_ERR_INVALID; on error, if
 * msg is not NULL, writes a one-line reason (no trailing newline) that names
 * the fields as they are spelt here, such as "shingle must be between 1 and
 * 64" or "bands x rows (20 x 7) exceeds num_perm 128", into
 * msg[0..msg_size-1] (a program maps the names to its own options). */
ND_API nd_status nd_options_check(const nd_options *opt, char *msg, size_t msg_size);

/* ------------------------------------------------------------------------ */
/* LSH parameters                                                            */
/* ------------------------------------------------------------------------ */

/* Probability that a pair with Jaccard similarity s becomes a candidate with
 * `bands` bands of `rows` rows: 1 - (1 - s^rows)^bands. */
ND_API double nd_lsh_probability(double s, unsigned bands, unsigned rows);

/* Chooses bands and rows (bands * rows <= num_perm) such that a pair with
 * Jaccard similarity equal to the threshold becomes a candidate with
 * probability at least ND_LSH_MIN_RECALL, and among those the pair with the
 * fewest expected candidates (the smallest integral_0^t P(s) ds).  When no
 * pair within num_perm values reaches ND_LSH_MIN_RECALL, the one with the
 * highest P(threshold) (compare nd_lsh_probability with ND_LSH_MIN_RECALL to
 * tell).  With num_perm = 128 the floor is met for every threshold in
 * [0.05, 1].  Returns ND_ERR_INVALID if threshold is outside (0,1] or
 * num_perm is 0.  Pure function; thread-safe. */
ND_API nd_status nd_lsh_params(double threshold, unsigned num_perm, unsigned *bands,
                               unsigned *rows);

#define ND_LSH_MIN_RECALL 0.995

/* ------------------------------------------------------------------------ */
/* Sketcher: normalisation, shingles, MinHash of single texts                */
/* ------------------------------------------------------------------------ */

/* A sketcher turns one text into its normalised form, its shingle set and its
 * MinHash signature, exactly as the scan does.  It owns scratch buffers, so
 * one sketcher must not be used by two threads at once. */
typedef struct nd_sketcher nd_sketcher;

/* Creates a sketcher for opt (NULL = defaults).  *out receives the handle,
 * owned by the caller, released with nd_sketcher_free(). */
ND_API nd_status nd_sketcher_new(const nd_options *opt, nd_sketcher **out);
ND_API void nd_sketcher_free(nd_sketcher *sk);

/* Normalises text[0..len-1] (invalid UTF-8 becomes U+FFFD first) and returns
 * the normalised characters as UTF-8 in a new malloc'ed, NUL-terminated buffer
 * *out (caller frees) of *out_len bytes.  Characters removed by ND_NORM_STRIP
 * do not appear. */
ND_API nd_status nd_sketcher_normalize(nd_sketcher *sk, const char *text, size_t len, char **out,
                                       size_t *out_len);

/* Computes the sorted, duplicate-free set of 64-bit shingle hashes of text.
 * *out is malloc'ed (caller frees), *count >= 1 for any text with at least one
 * token, 0 (and *out NULL) for a text with no token. */
ND_API nd_status nd_sketcher_shingles(nd_sketcher *sk, const char *text, size_t len, uint64_t **out,
                                      size_t *count);

/* Writes the MinHash signature (opt.num_perm values) of text into sig, which
 * must hold num_perm values.  A text with no token gets all UINT32_MAX. */
ND_API nd_status nd_sketcher_signature(nd_sketcher *sk, const char *text, size_t len,
                                       uint32_t *sig);

/* Exact Jaccard similarity of the shingle sets of two texts, into *out.
 * Two texts without tokens have similarity 0. */
ND_API nd_status nd_sketcher_jaccard(nd_sketcher *sk, const char *a, size_t alen, const char *b,
                                     size_t blen, double *out);

/* ------------------------------------------------------------------------ */
/* Scanner: gathers documents, runs the pipeline, yields a report            */
/* ------------------------------------------------------------------------ */

typedef struct nd_scanner nd_scanner;
typedef struct nd_report nd_report;

/* A problem with one input.  The scan goes on without that input. */
typedef struct nd_diag {
    const char *path;   /* the path as given or as found by the walk */
    nd_status status;   /* why it was skipped (or ND_OK for a notice) */
    int sys_errno;      /* errno for ND_ERR_IO, else 0 */
    const char *detail; /* extra words or NULL, e.g. "limit is 1073741824 bytes";
                           "read" for an ND_ERR_IO that happened after the
                           input was opened */
} nd_diag;

/* Called once per problem, in input order, from the thread that called
 * nd_scanner_add_path().  Notices about a document's contents (status ND_OK,
 * e.g. paragraphs cut at max_paragraph_bytes) come from nd_scanner_run(), on
 * its calling thread, once per document; they do not count as skipped.
 * A file that changed while the run read it (ND_ERR_CHANGED) is reported
 * once: by nd_scanner_run, in document order after its stages (counted in
 * nd_summary.skipped), or, when only found later, by
 * nd_report_paragraph_text or clean on their calling thread.
 * Pointers are valid only during the call. */
typedef void (*nd_diag_fn)(void *user, const nd_diag *diag);

/* Creates a scanner with a copy of *opt (NULL = defaults); checks the options
 * (ND_ERR_INVALID).  Released with nd_scanner_free(). */
ND_API nd_status nd_scanner_new(const nd_options *opt, nd_scanner **out);
ND_API void nd_scanner_free(nd_scanner *sc);

/* Sets the callback that receives skipped-input reports (NULL = none). */
ND_API void nd_scanner_set_diag(nd_scanner *sc, nd_diag_fn fn, void *user);

/* Adds a file, a directory (walked recursively in byte order of names,
 * following symbolic links but never a loop) or "-" (standard input).
 * gzip data (magic 1f 8b) is decompressed.  Inputs that cannot be used are
 * reported through the diag callback, counted in nd_scanner_skipped() and
 * left out; that is not an error.  Returns ND_OK, or ND_ERR_NOMEM /
 * ND_ERR_STATE (after nd_scanner_run) for fatal problems. */
ND_API nd_status nd_scanner_add_path(nd_scanner *sc, const char *path);

/* Adds query documents: as nd_scanner_add_path (the same walk, rules,
 * decoding, diag and skipped count), and every document the path yields is
 * a query document (nd_document_info.query).  This is how one document is
 * checked against a corpus (`neardup compare FILE PATH...`, a plagiarism
 * check): once a run has a query document, the copied passages
 * (nd_options.passages) are computed only between a query document and
 * another document - none among the other documents, none inside one
 * document - so the work grows with what the query shares, not with the
 * square of the corpus.  The pairwise passages (nd_report_pair_passage)
 * are then exactly those a run without query documents finds for the same
 * pairs; the records (nd_report_passage) group them as seen from the query
 * documents.  Paragraph clusters are computed corpus-wide as ever.
 * Add query paths before the corpus: a file reached twice is read once,
 * under the first name met (a notice: nd_diag with status ND_OK), so a query file that
 * also lies under a corpus directory stays the query and is not compared
 * with itself, while a file already added as a corpus document stays one.
 * Returns as nd_scanner_add_path. */
ND_API nd_status nd_scanner_add_query_path(nd_scanner *sc, const char *path);

/* Adds an in-memory document named `name`; the bytes are copied. */
ND_API nd_status nd_scanner_add_buffer(nd_scanner *sc, const char *name, const void *data,
                                       size_t len);

/* Which files a directory walk takes.  ND_WALK_INCLUDE: once any include
 * pattern is set, a walked file is taken only if one matches;
 * ND_WALK_EXCLUDE: a walked file or directory that matches is left out (a
 * directory with everything under it).  A pattern with a '/' is matched
 * against the path relative to the directory given to
 * nd_scanner_add_path ("docs/[a-z]*.txt"; '*' and '?' do not match '/'),
 * one without against the entry's name at any depth ("*.md"), with
 * fnmatch(3) syntax.  Paths given to nd_scanner_add_path themselves are always taken.
 * Set before adding paths; the string is copied.  ND_ERR_INVALID for an
 * empty pattern, ND_ERR_NOMEM, or ND_OK. */
typedef enum nd_walk_rule { ND_WALK_INCLUDE = 0, ND_WALK_EXCLUDE = 1 } nd_walk_rule;
ND_API nd_status nd_scanner_add_walk_rule(nd_scanner *sc, nd_walk_rule rule, const char *pattern);

/* Whether walks take entries whose name starts with '.' (hidden files and
 * directories); default 0, as git, ripgrep and rsync's filters do.  A
 * hidden path given to nd_scanner_add_path is always read. */
ND_API void nd_scanner_set_hidden(nd_scanner *sc, int hidden);

/* Directory for temporary files (NULL = $TMPDIR, else /tmp); the string is
 * copied.  Temporary files are unlinked as soon as they are created, so
 * nothing is left behind however the process ends.  A directory given is
 * checked at once by creating (and removing) a temporary file in it, so an
 * unusable one fails before any input is read: ND_ERR_IO (see
 * nd_scanner_sys_errno), ND_ERR_NOMEM or ND_OK. */
ND_API nd_status nd_scanner_set_tmpdir(nd_scanner *sc, const char *dir);

/* After a call on sc returned ND_ERR_IO: the errno value of the system call
 * that failed (0 if unknown) and the file or directory it concerned (NULL
 * if none; for temporary files, their directory), as SQLite's
 * sqlite3_system_errno.  The string belongs to sc and stays valid until the
 * next failing call or nd_scanner_free.  Problems with single inputs are not
 * errors of the call: they go to the diag callback (nd_diag.sys_errno). */
ND_API int nd_scanner_sys_errno(const nd_scanner *sc);
ND_API const char *nd_scanner_error_path(const nd_scanner *sc);

/* Stages of nd_scanner_run, in order (for progress and timings). */
typedef enum nd_stage {
    ND_STAGE_READ = 0, /* nd_scanner_add_path/add_buffer (before the run) */
    ND_STAGE_SPLIT,    /* documents -> paragraphs */
    ND_STAGE_SKETCH,   /* normalise, shingle, MinHash, band keys */
    ND_STAGE_EXACT,    /* exact duplicates */
    ND_STAGE_LSH,      /* band keys -> candidate pairs */
    ND_STAGE_VERIFY,   /* exact Jaccard of candidate pairs */
    ND_STAGE_CLUSTER,  /* clusters and similarities to representatives */
    ND_STAGE_PASSAGE,  /* copied passages (nd_options.passages) */
    ND_STAGE_REPORT,   /* per-document shares, overlaps, totals */
    ND_STAGE_COUNT_
} nd_stage;

/* The stage's name in reports and statistics: "read", "split", "sketch",
 * "exact", "lsh", "verify", "cluster", "report"; "?" for other values.
 * Static storage; thread-safe. */
ND_API const char *nd_stage_name(nd_stage stage);

/* Progress of a running scan: `done` of `total` units of `stage` (bytes for
 * SPLIT and SKETCH, bands for LSH, pairs for VERIFY, clusters for CLUSTER;
 * other stages report 0 of 0 at their start).  input_bytes is the size of
 * all documents. */
typedef struct nd_progress {
    nd_stage stage;
    uint64_t done, total;
    uint64_t input_bytes;
} nd_progress;

/* Called from the thread that runs nd_scanner_run, at the start of each
 * stage and after pieces of work of a few milliseconds each; pointers are
 * valid only during the call.  The callback must not call into the scanner
 * (except nd_scanner_cancel). */
typedef void (*nd_progress_fn)(void *user, const nd_progress *p);

/* Sets the progress callback (NULL = none).  Not during nd_scanner_run. */
ND_API void nd_scanner_set_progress(nd_scanner *sc, nd_progress_fn fn, void *user);

/* Asks a running (or future) nd_scanner_run to stop; it returns
 * ND_ERR_CANCELLED soon after, having freed everything and removed its
 * temporary files.  Async-signal-safe and thread-safe: it only stores to a
 * lock-free atomic flag, so a SIGINT handler may call it.  The library
 * installs no signal handler itself. */
ND_API void nd_scanner_cancel(nd_scanner *sc);

/* Number of inputs skipped so far. */
ND_API size_t nd_scanner_skipped(const nd_scanner *sc);

/* Runs the pipeline over all documents added so far and returns the report in
 * *out (caller frees with nd_report_free).  The report keeps the document
 * bytes alive; the scanner may be freed before the report.  Can be called
 * once per scanner. */
ND_API nd_status nd_scanner_run(nd_scanner *sc, nd_report **out);

/* ------------------------------------------------------------------------ */
/* Report model (read-only)                                                   */
/* ------------------------------------------------------------------------ */

ND_API void nd_report_free(nd_report *r);

typedef struct nd_summary {
    uint64_t files;                /* documents scanned */
    uint64_t split_line;           /* of those, split with one paragraph per line */
    uint64_t split_blank;          /* of those, split at blank lines; with --split
                                auto the two say what auto chose (per file:
                                nd_document_info.split) */
    uint64_t skipped;              /* inputs skipped */
    uint64_t bytes;                /* bytes scanned (after decompression) */
    uint64_t paragraphs;           /* all paragraphs */
    uint64_t short_paragraphs;     /* below min_chars: counted, not clustered */
    uint64_t chars;                /* normalised characters in all paragraphs */
    uint64_t clustered_paragraphs; /* paragraphs in some cluster */
    uint64_t clusters;             /* clusters (2 or more members) */
    uint64_t duplicated_chars;     /* characters of cluster members that are not
                                  the first member of their cluster */
    uint64_t candidate_pairs;      /* distinct pairs proposed by LSH */
    uint64_t verified_pairs;       /* candidate pairs with Jaccard >= threshold */
    uint64_t common_clusters;      /* clusters in more than common_docs documents */
    unsigned bands, rows, num_perm, shingle;
    double threshold;
    unsigned common_docs;     /* the nd_options.common_docs in force */
    unsigned passages;        /* the nd_options.passages in force, */
    unsigned min_passage;     /* and min_passage */
    uint64_t passage_records; /* copied passages found (when passages) */
    uint64_t common_passages; /* of which common text */
} nd_summary;

typedef struct nd_document_info {
    const char *path;
    uint64_t bytes; /* after decompression (original bytes, not
                                decoded ones) */
    uint64_t paragraphs;
    uint64_t chars;           /* normalised characters */
    uint64_t elsewhere_chars; /* chars of paragraphs whose cluster has a member
                                 in another document; with passages on,
                                 chars inside passages shared with another
                                 document (common text left out) */
    uint64_t within_chars;    /* chars of paragraphs with an earlier member of
                                their cluster in this same document; with
                                passages on, chars inside later copies of
                                its own passages */
    unsigned split;           /* the nd_split_mode actually used */
    unsigned char gzip;       /* 1 if the input was gzip-compressed */
    const char *encoding;     /* the encoding it was read in, lower case:
                                "utf-8", or the one decoded ("gb18030",
                                "utf-16le", "windows-1252", ...) */
    unsigned char query;      /* 1: added by nd_scanner_add_query_path */
    uint64_t text_chars;      /* with nd_options.passages: normalised
                                characters of the whole text, in which the
                                passages' start_char and chars count (chars
                                above counts its paragraphs'); else 0 */
} nd_document_info;

typedef struct nd_paragraph_info {
    uint32_t doc;      /* document index */
    uint32_t line;     /* 1-based line of the paragraph's first byte */
    uint64_t offset;   /* byte offset in the (decompressed) document: of its
                         original bytes, also when it was decoded */
    uint32_t length;   /* original bytes, without the final line terminator */
    uint32_t chars;    /* normalised characters */
    int64_t cluster;   /* cluster index, or -1 */
    double similarity; /* exact Jaccard to the cluster representative, or 0 */
} nd_paragraph_info;

typedef struct nd_cluster_info {
    size_t size;             /* members, >= 2 */
    size_t documents;        /* distinct documents among the members */
    uint64_t chars;          /* normalised characters of all members */
    const uint32_t *members; /* paragraph indices, ascending; members[0] is
                                 the representative; owned by the report */
} nd_cluster_info;

/* With nd_options.passages the overlaps come from the copied passages, so
 * they count copies inside otherwise different paragraphs: a_in_b is then
 * a's characters inside passages it shares with b (common text left out),
 * and clusters the pairwise passages between them. */
typedef struct nd_overlap_info {
    uint32_t a, b;     /* document indices, a < b */
    uint64_t a_in_b;   /* chars of a in paragraphs whose cluster reaches b */
    uint64_t b_in_a;   /* chars of b in paragraphs whose cluster reaches a */
    uint64_t clusters; /* clusters with members in both (passages: see above) */
} nd_overlap_info;

/* The accessors below fill *out and return ND_OK, or ND_ERR_INVALID for an
 * index out of range.  Pointers inside *out live as long as the report.
 * Orders: documents in input order; paragraphs by (document, offset);
 * clusters by size descending, then representative ascending; overlaps by
 * max(a_in_b/comparable(a), b_in_a/comparable(b)) descending, then (a, b)
 * (comparable: nd_report_document_comparable). */
ND_API nd_status nd_report_summary(const nd_report *r, nd_summary *out);
ND_API size_t nd_report_document_count(const nd_report *r);
ND_API nd_status nd_report_document(const nd_report *r, size_t i, nd_document_info *out);
/* Comparable characters: the normalised characters a comparison can find
 * elsewhere, of document i (nd_report_document_comparable) or of the whole
 * corpus (nd_report_comparable_chars), into *out.  A paragraph below
 * min_chars counts in nd_document_info.chars but is never compared, so it is
 * not comparable; with nd_options.passages (which cross paragraph
 * boundaries) every character of a document is.  The corpus's count is
 * always that of paragraphs of at least min_chars: it divides
 * nd_summary.duplicated_chars, which counts cluster members.  Every share a
 * writer prints (elsewhere, within, a_in_b, b_in_a, duplicated) divides by
 * these, so byte-identical files show 100%, and the overlaps are ranked by
 * them.  ND_ERR_INVALID for a NULL argument or i out of range.  Thread-safe
 * (the report is immutable); nothing is allocated. */
ND_API nd_status nd_report_document_comparable(const nd_report *r, size_t i, uint64_t *out);
ND_API nd_status nd_report_comparable_chars(const nd_report *r, uint64_t *out);
/* The inputs the scan skipped (nd_summary.skipped counts them; notices with
 * status ND_OK or ND_ERR_ENCODING are not among them), in the order the diag
 * callback received them, as it received them: *out's strings belong to the
 * report and live as long as it.  ND_ERR_INVALID for a NULL argument or i
 * out of range.  Thread-safe. */
ND_API size_t nd_report_skipped_count(const nd_report *r);
ND_API nd_status nd_report_skipped(const nd_report *r, size_t i, nd_diag *out);
ND_API size_t nd_report_paragraph_count(const nd_report *r);
ND_API nd_status nd_report_paragraph(const nd_report *r, size_t i, nd_paragraph_info *out);
/* The paragraph's bytes (not NUL-terminated) and their length: the
 * original bytes, or for a document decoded from another encoding its
 * UTF-8 text (nd_document_info.encoding says which).
 * Input files are not kept in memory: the bytes are read from the file
 * again and checked to be the ones scanned; the copy stays valid until
 * nd_report_free (so it costs memory for the texts asked for).  If the file
 * changed since, *text is "" and *len 0, and the file is reported once as
 * ND_ERR_CHANGED through the scanner's diag callback, which must then still
 * be callable.  Safe to call from several threads at once. */
ND_API nd_status nd_report_paragraph_text(const nd_report *r, size_t i, const char **text,
                                          size_t *len);
/* Copied passages (nd_options.passages): one record per passage, with all
 * its places.  Records are ordered by characters, descending, then by their
 * first place; places by (document, offset). */
typedef struct nd_passage_record_info {
    size_t places;     /* places, >= 2 (nd_report_passage_place) */
    size_t documents;  /* distinct documents among them */
    uint64_t chars;    /* normalised characters (its longest place) */
    double similarity; /* 1.0 for verbatim copies; for edited ones the
                            lowest share of exactly matching characters
                            between two of its places */
    int common;        /* in more than common_docs documents: common text
                            (boilerplate) */
} nd_passage_record_info;

typedef struct nd_passage_place {
    uint32_t doc;    /* document index */
    uint32_t line;   /* 1-based line of its first byte */
    uint64_t offset; /* bytes of the original document, as paragraphs' */
    uint64_t length;
    uint64_t chars; /* normalised characters */
} nd_passage_place;

ND_API size_t nd_report_passage_count(const nd_report *r);
ND_API nd_status nd_report_passage(const nd_report *r, size_t i, nd_passage_record_info *out);
/* Place j of passage i. */
ND_API nd_status nd_report_passage_place(const nd_report *r, size_t i, size_t j,
                                         nd_passage_place *out);
/* The text of place j of passage i (not NUL-terminated): as
 * nd_report_paragraph_text gives a paragraph's (read again; UTF-8 text for a
 * decoded document; "" if its file changed since, reported once). */
ND_API nd_status nd_report_passage_text(const nd_report *r, size_t i, size_t j, const char **text,
                                        size_t *len);
/* One passage two places share, seen in both (compare, and the pairwise
 * passages of a report: nd_report_pair_passage). */
typedef struct nd_passage_side {
    uint64_t offset, length;           /* bytes of the original document */
    uint64_t text_offset, text_length; /* the same bytes in the text compared
                                          (nd_compare_document_text): equal
                                          to offset and length unless the
                                          document was decoded */
    uint32_t line, end_line;           /* 1-based lines of the first and last byte */
    uint64_t start_char;               /* in the normalised text */
    uint64_t chars;                    /* normalised characters spanned */
} nd_passage_side;

typedef struct nd_passage_info {
    nd_passage_side side[2]; /* [0] in A, [1] in B */
    uint64_t matched_chars;  /* characters in exactly matching fragments */
    uint32_t fragments;      /* exact fragments merged into the passage */
} nd_passage_info;

/* Pairwise passages (nd_options.passages): every passage two places share,
 * pair by pair, as compare finds them for two documents - the material the
 * records above are grouped from.  side[0] is in document a, side[1] in
 * document b, a <= b (a == b: two places inside one document); ordered by
 * (a, b, position in a).  Offsets are of the original bytes, text_offset and
 * text_length of the text read (nd_report_pair_passage_text), start_char and
 * chars of the normalised text, lines 1-based.  Common text is not left
 * out here (nd_passage_record_info.common says which records are).  With
 * query documents (nd_scanner_add_query_path) only pairs with one. */
typedef struct nd_pair_passage_info {
    uint32_t a, b;     /* document indices */
    nd_passage_info p; /* side[0] in a, side[1] in b */
} nd_pair_passage_info;

ND_API size_t nd_report_pair_passage_count(const nd_report *r);
ND_API nd_status nd_report_pair_passage(const nd_report *r, size_t i, nd_pair_passage_info *out);
/* The text of side `side` (0: in a, 1: in b) of pairwise passage i, as
 * nd_report_passage_text gives a place's. */
ND_API nd_status nd_report_pair_passage_text(const nd_report *r, size_t i, unsigned side,
                                             const char **text, size_t *len);
ND_API size_t nd_report_cluster_count(const nd_report *r);
ND_API nd_status nd_report_cluster(const nd_report *r, size_t i, nd_cluster_info *out);
ND_API size_t nd_report_overlap_count(const nd_report *r);
ND_API nd_status nd_report_overlap(const nd_report *r, size_t i, nd_overlap_info *out);

/* Wall-clock seconds per stage of the run that made the report, and what the
 * run did to fit in memory.  Timings vary from run to run; nothing else in
 * the report depends on them. */
typedef struct nd_timings {
    double stage[ND_STAGE_COUNT_];      /* seconds, indexed by nd_stage */
    double total;                       /* READ + nd_scanner_run */
    unsigned threads;                   /* threads used */
    uint64_t memory_limit;              /* the limit in force, bytes */
    uint64_t spill_runs;                /* sorted runs written (0 = in memory) */
    uint64_t spill_bytes;               /* bytes written to temporary files */
    uint64_t peak_rss[ND_STAGE_COUNT_]; /* peak resident memory of the process
                                           by the end of each stage, bytes
                                           (getrusage; input files are read,
                                           not mapped); 0 if unknown */
} nd_timings;

/* Fills *out; ND_ERR_INVALID if r or out is NULL. */
ND_API nd_status nd_report_timings(const nd_report *r, nd_timings *out);

/* ------------------------------------------------------------------------ */
/* Writers                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum nd_format {
    ND_FORMAT_TEXT = 0,
    ND_FORMAT_JSONL,
    ND_FORMAT_JSON,
    ND_FORMAT_CSV,
    ND_FORMAT_HTML /* one self-contained HTML file (inline CSS/JS, no network) */
} nd_format;

/* Parses "text", "jsonl", "json", "csv" or "html" into *out; ND_ERR_FORMAT
 * otherwise. */
ND_API nd_status nd_format_parse(const char *name, nd_format *out);

/* Bits of nd_write_options.emit_paragraphs (jsonl and json). */
enum {
    ND_EMIT_PARAGRAPHS = 1, /* one "paragraph" record per paragraph */
    ND_EMIT_TEXT = 2        /* every cluster member (and paragraph record)
                               carries its text, "text" (read again from the
                               file, as nd_report_paragraph_text, which keeps
                               a copy for the report's lifetime) */
};

typedef struct nd_write_options {
    int emit_paragraphs; /* jsonl/json: ND_EMIT_* bits (a bit set, so that
                              the struct keeps its layout: 1, as before,
                              adds the paragraph records); default 0 */
    unsigned top;        /* text: rows per section, 0 = all; default 10 */
    unsigned preview;    /* text (and csv's preview column): preview length
                              in characters, 0 = no preview, in every report
                              (scan, compare, query); default 40 */
    int stats;           /* jsonl/json: add the run's nd_timings to the
                              summary as "stats" (seconds and peak memory per
                              stage); these vary from run to run, so a report
                              with stats is not byte-reproducible; default 0 */
} nd_write_options;

ND_API void nd_write_options_default(nd_write_options *wo);

/* Sink for writers: must consume all len bytes and return 0, or return
 * non-zero (an errno value if known) to stop the writer. */
typedef int (*nd_write_fn)(void *user, const void *buf, size_t len);

/* Renders the report of a query run - one query document
 * (nd_scanner_add_query_path) checked against the corpus, with
 * nd_options.passages - as `neardup compare FILE PATH...` prints it, in
 * text, jsonl or html (json and csv: ND_ERR_INVALID): the query's share
 * found in the corpus (its characters inside any pairwise passage with
 * another document, union of the spans), then every document that shares
 * a passage with it, by the share of the query found in it (largest first,
 * ties by path), with that share, the document's share found in the query,
 * and the passages, by position in the query, with path:line in both and
 * a preview (wo->preview characters, 0 = none).  Shares count normalised
 * characters of the whole texts (nd_document_info.text_chars); common text
 * is not left out.  ND_ERR_STATE unless the report has exactly one query
 * document and passages on.  Deterministic bytes; ND_ERR_IO if fn failed
 * (nd_report_sys_errno). */
ND_API nd_status nd_report_write_query(const nd_report *r, nd_format format,
                                       const nd_write_options *wo, nd_write_fn fn, void *user);

/* Renders the report in `format` through fn.  wo may be NULL (defaults).
 * Returns ND_ERR_IO if the sink failed.  Output is a pure function of the
 * report and the options: the same input gives the same bytes.  jsonl and
 * json records are formatted on as many threads as the scan used
 * (nd_timings.threads); fn is only ever called on the caller's thread, in
 * order. */
ND_API nd_status nd_report_write(const nd_report *r, nd_format format, const nd_write_options *wo,
                                 nd_write_fn fn, void *user);

/* As nd_report_write, with the text format's lines fitted to `width`
 * display columns (0: 100, what nd_report_write and nd_report_write_path
 * use; a program writing to a terminal passes its width): previews are cut
 * to fit, a document pair too long for one line takes two.  Paths are never
 * cut, so a line with a very long path can be wider.  Other formats ignore
 * width.  r and fn must not be NULL, wo may be; threads and the sink as
 * nd_report_write.  Returns as nd_report_write. */
ND_API nd_status nd_report_write_width(const nd_report *r, nd_format format,
                                       const nd_write_options *wo, unsigned width, nd_write_fn fn,
                                       void *user);

/* nd_report_write_query (the report `compare FILE PATH...` prints) written
 * to `path` as nd_report_write_path writes a report (the same code; the
 * errno and path of an ND_ERR_IO are kept by r).  Returns as both. */
ND_API nd_status nd_report_write_query_path(const nd_report *r, nd_format format,
                                            const nd_write_options *wo, const char *path);

/* Writes the report to `path` atomically: into a temporary file in the same
 * directory, then renamed over path.  On failure nothing is left behind.  A
 * character device or fifo (/dev/null, a named pipe) is written in place
 * instead; a directory gives ND_ERR_IO (EISDIR), a socket
 * ND_ERR_NOT_REGULAR. */
ND_API nd_status nd_report_write_path(const nd_report *r, nd_format format,
                                      const nd_write_options *wo, const char *path);

/* After a call on r returned ND_ERR_IO (nd_report_write: what the sink
 * returned; nd_report_write_path: the failed system call): its errno value
 * (0 if unknown) and the file concerned (NULL if none), as
 * nd_scanner_sys_errno.  The string belongs to r, valid until the next
 * failing call on r or nd_report_free; with several threads writing r at
 * once, which failure is kept is unspecified. */
ND_API int nd_report_sys_errno(const nd_report *r);
ND_API const char *nd_report_error_path(const nd_report *r);

/* ------------------------------------------------------------------------ */
/* Clean: a deduplicated copy of the corpus                                  */
/* ------------------------------------------------------------------------ */

/* Which member of a group of duplicates is kept. */
typedef enum nd_keep {
    ND_KEEP_FIRST = 0, /* earliest by path (byte order), then offset */
    ND_KEEP_LONGEST    /* most normalised characters; ties -> FIRST */
} nd_keep;

/* Which repeats are removed. */
typedef enum nd_scope {
    ND_SCOPE_ALL = 0, /* every member but the one kept per cluster */
    ND_SCOPE_CROSS,   /* members in other documents than the kept one */
    ND_SCOPE_WITHIN   /* per cluster and document, all but one member */
} nd_scope;

typedef struct nd_clean_options {
    nd_keep keep;   /* default ND_KEEP_FIRST */
    nd_scope scope; /* default ND_SCOPE_ALL */
    int drop_empty; /* JSON Lines input (nd_options.jsonl_field): leave out
                       the records whose text became empty (all of it was
                       removed; a record that was empty stays); default 0:
                       every record is kept */
} nd_clean_options;

/* Fills *co with the defaults.  co must not be NULL. */
ND_API void nd_clean_options_default(nd_clean_options *co);

/* Parses "first"/"longest" and "all"/"cross"/"within"; ND_ERR_FORMAT for an
 * unknown name, ND_ERR_INVALID for NULL arguments. */
ND_API nd_status nd_keep_parse(const char *name, nd_keep *out);
ND_API nd_status nd_scope_parse(const char *name, nd_scope *out);

/* A removal plan: which byte spans of which documents a clean removes.  It
 * borrows the report, which must outlive the plan.  Immutable once made, so
 * it may be read from many threads. */
typedef struct nd_clean_plan nd_clean_plan;

/* One removed span.  A removed paragraph takes its line terminator with it,
 * and, when it starts the file or follows a blank line, the blank lines
 * after it, so no gap of blank lines is left behind. */
typedef struct nd_removal_info {
    uint32_t paragraph; /* removed paragraph (report index) */
    uint32_t kept;      /* the paragraph kept in its place (report index) */
    uint32_t doc;       /* document of the removed paragraph */
    uint32_t line;      /* its 1-based line */
    uint64_t offset;    /* first removed byte (decompressed document; of
                            its original bytes when it was decoded; for a
                            JSON Lines record, of its decoded field text) */
    uint64_t length;    /* removed bytes, terminator and blank lines included */
    double similarity;  /* exact Jaccard of the removed and kept paragraphs */
} nd_removal_info;

/* Plans the removals for report r with options co (NULL = defaults).  *out
 * receives the plan (caller frees with nd_clean_plan_free).  Removals are
 * ordered by (document, offset).  Each document with removals is read again
 * and checked against the scan; one that changed since gets no removals, nor
 * do removals whose kept paragraph changed, and it is reported once as
 * ND_ERR_CHANGED through the scanner's diag callback.  ND_ERR_INVALID for a
 * NULL r/out or a bad option; ND_ERR_NOMEM. */
ND_API nd_status nd_clean_plan_new(const nd_report *r, const nd_clean_options *co,
                                   nd_clean_plan **out);
ND_API void nd_clean_plan_free(nd_clean_plan *p);

ND_API size_t nd_clean_removal_count(const nd_clean_plan *p);
/* Fills *out; ND_ERR_INVALID for an index out of range or NULL. */
ND_API nd_status nd_clean_removal(const nd_clean_plan *p, size_t i, nd_removal_info *out);
/* Removed bytes of document doc (0 when none); out of range gives 0. */
ND_API uint64_t nd_clean_doc_removed_bytes(const nd_clean_plan *p, size_t doc);

/*
 * The removal log as JSONL, one object per removal, in plan order:
 *   {"path":"...","line":N,"offset":N,"length":N,"text":"...",
 *    "kept_path":"...","kept_line":N,"kept_offset":N,"similarity":S}
 * "text" holds the removed bytes exactly (JSON escapes only); when they are
 * not valid UTF-8, "base64":"..." replaces "text".  Offsets and bytes are
 * those of the original (decompressed) document - for a document decoded
 * from another encoding, its bytes in that encoding - so inserting each
 * text at its offset,
 * in order, into the cleaned file rebuilds the input byte for byte.
 *
 * A removal from a JSON Lines record (nd_options.jsonl_field) names the file
 * and the record instead, and gives offsets and text of the record's
 * decoded field text:
 *   {"path":"FILE","record":LINE,"name":"...","line":N,"offset":N,
 *    "length":N,"text":"...","kept_path":"...",["kept_record":LINE,]
 *    "kept_name":"...","kept_line":N,"kept_offset":N,"similarity":S}
 * (name is the document's name, FILE:LINE or its id; a kept paragraph in a
 * record has kept_record, and kept_offset in its field text), so inserting
 * each text at its offset, in order, into the field's value in the cleaned
 * record rebuilds the field's value.  With drop_empty, a record left out
 * gets one more object after its removals, {"path":"FILE","record":LINE,
 * "name":"...","dropped":"<the record's line and its line terminator,
 * exactly>"}, to put back before the record that followed it.
 * Returns ND_ERR_IO if fn failed.  Deterministic bytes.
 */
ND_API nd_status nd_clean_write_log(const nd_clean_plan *p, nd_write_fn fn, void *user);

/* Why nd_clean_write_tree refused or failed; `path` names the file or
 * directory concerned (valid until the next call on the plan). */
typedef enum nd_clean_error {
    ND_CLEAN_ERR_NONE = 0,
    ND_CLEAN_ERR_INPUT_DIR,  /* the output directory is (inside) an input dir */
    ND_CLEAN_ERR_INPUT_FILE, /* an output would replace an input file */
    ND_CLEAN_ERR_EXISTS,     /* an output exists and force was not given */
    ND_CLEAN_ERR_COLLISION,  /* two documents map to the same output */
    ND_CLEAN_ERR_STDIN,      /* a document was read from standard input */
    ND_CLEAN_ERR_IO,         /* a system call failed (see sys_errno) */
    ND_CLEAN_ERR_FOREIGN     /* force, but the existing out_dir holds `path`,
                                which is not part of the cleaned copy */
} nd_clean_error;

/*
 * Writes the cleaned copy of every document of the plan's report as the new
 * directory out_dir, all at once: the tree is built in a temporary sibling
 * directory "<out_dir>.neardup-tmp.XXXXXX" (mkdtemp) and renamed to out_dir
 * at the end, so out_dir is either absent (or as it was) or complete.
 * `inputs` are the paths given to the scanner, in the same order (files or
 * directories): a document found under directory D is written to
 * out_dir/<its path below D>, a file given directly to out_dir/<its base
 * name>.  The parent of out_dir is created as needed (mode 0777 & ~umask).
 * Documents without removals are copied from the input file unchanged; gzip
 * inputs are written gzip-compressed; a JSON Lines file (records as
 * documents, nd_options.jsonl_field) is written as one file, every line in
 * its place and unchanged except the field's string in records that lost
 * paragraphs (written anew as JSON, with the removed spans cut out; the
 * other fields keep their bytes), and, with drop_empty, without the records
 * whose text became empty; a document decoded from another
 * encoding is written in that encoding, from the original bytes kept since
 * it was loaded.  Every file is fsync'ed before the
 * rename.  Every document is read again, whole, and checked to be what was
 * scanned (file identity, size, modification time and every paragraph's
 * hash); one that changed is left out - no copy is written - and reported
 * once as ND_ERR_CHANGED through the scanner's diag callback, so no output
 * mixes old and new bytes; this is not a failure.  The log leaves out the
 * removals of such documents.
 *
 * log_path (NULL = no log) gets the removal log: outside out_dir it is
 * written to "<log_path>.neardup-tmp.XXXXXX" and renamed into place BEFORE
 * the tree is renamed, so whenever out_dir holds the new tree, the log is
 * complete; inside out_dir it is written into the tree.  out_dir NULL
 * writes the log alone (a dry run), under the same checks.
 *
 * Before anything is written, everything is checked, and nothing is written
 * if a check fails: out_dir must not be or lie inside an input directory, no
 * output may be an input file, two documents may not map to one output.  An
 * existing out_dir must be an empty directory unless force is non-zero;
 * with force it is replaced as a whole, and therefore only if it holds
 * nothing but directories and the regular files this call writes (a
 * previous cleaned copy; ND_CLEAN_ERR_FOREIGN otherwise).  An existing log
 * is refused unless force is non-zero.
 *
 * nd_clean_cancel (async-signal-safe) stops the writing: the temporary tree
 * and log are removed, out_dir and log_path are untouched, and
 * ND_ERR_CANCELLED is returned.  A process killed while writing leaves the
 * temporary siblings; nd_clean_leftovers names them, and they are never
 * reused.  On failure nd_clean_error_kind and its companions say what and
 * where.  Returns
 * ND_OK, ND_ERR_INVALID (a refused check), ND_ERR_IO, ND_ERR_NOMEM,
 * ND_ERR_CANCELLED.  Not thread safe for the same plan (it keeps the failure
 * path).
 */
ND_API nd_status nd_clean_write_tree(nd_clean_plan *p, const char *const *inputs, size_t ninputs,
                                     const char *out_dir, const char *log_path, int force);

/* After nd_clean_write_tree returned an error on p: why (ND_CLEAN_ERR_NONE
 * when it did not fail, or failed for a reason below), the file or directory
 * concerned ("" if none) and, for ND_CLEAN_ERR_IO, the errno value (0
 * otherwise), as nd_scanner_sys_errno does for a scanner.  The string
 * belongs to p and stays valid until the next nd_clean_write_tree on p or
 * nd_clean_plan_free. */
ND_API nd_clean_error nd_clean_error_kind(const nd_clean_plan *p);
ND_API const char *nd_clean_error_path(const nd_clean_plan *p);
ND_API int nd_clean_sys_errno(const nd_clean_plan *p);

/* Sets a progress callback for nd_clean_write_tree on p (NULL = none): it is
 * called on the calling thread with 0 of `total` input bytes at the start
 * and after each document is written.  Not during nd_clean_write_tree. */
ND_API void nd_clean_set_progress(nd_clean_plan *p,
                                  void (*fn)(void *user, uint64_t done, uint64_t total),
                                  void *user);

/* Asks a running nd_clean_write_tree on p to stop (see there).  Only sets a
 * flag: async-signal-safe, callable from any thread or a signal handler. */
ND_API void nd_clean_cancel(nd_clean_plan *p);

/* Calls fn(user, path) once for every temporary sibling that an interrupted
 * nd_clean_write_tree left next to out_dir or log_path ("<out_dir>.neardup-
 * tmp.XXXXXX", "<log_path>.neardup-tmp.XXXXXX"), in byte order.  Paths are
 * named as out_dir and log_path are (a bare name gives a bare name).  Either
 * may be NULL.  Returns ND_OK, ND_ERR_INVALID (fn NULL) or ND_ERR_NOMEM. */
ND_API nd_status nd_clean_leftovers(const char *out_dir, const char *log_path,
                                    void (*fn)(void *user, const char *path), void *user);

/* ------------------------------------------------------------------------ */
/* Compare: shared passages of two documents                                 */
/* ------------------------------------------------------------------------ */

typedef struct nd_compare_options {
    unsigned min_passage;           /* shortest passage, normalised chars; default 30 */
    unsigned max_gap;               /* fragments closer than this (chars, in both
                               documents) merge into one passage; default 16 */
    double threshold;               /* a passage's two places have token-shingle
                               Jaccard >= this, else it is cut at its widest
                               gaps (as nd_options.threshold for a scan's
                               passages); (0, 1], default 0.8 */
    unsigned shingle;               /* tokens per shingle for that; default 5 */
    unsigned norm_flags;            /* ND_NORM_*; default ND_NORM_ALL */
    uint64_t max_file_size;         /* bytes after decompression; default 1 GiB */
    char encoding[ND_ENCODING_MAX]; /* how the files are decoded, as
                               nd_options.encoding: "auto" (default) or a
                               name iconv knows */
} nd_compare_options;

ND_API void nd_compare_options_default(nd_compare_options *co);
/* ND_ERR_INVALID with a one-line reason in msg, naming fields as
 * nd_options_check does, when min_passage is 0 or above 100000, max_gap
 * above 100000, threshold outside (0, 1], shingle outside 1-64, or encoding
 * is not "auto" nor a name iconv can decode. */
ND_API nd_status nd_compare_options_check(const nd_compare_options *co, char *msg, size_t msg_size);

/* A finished comparison; immutable, may be read from many threads. */
typedef struct nd_compare nd_compare;

/* Compares two in-memory documents (bytes are copied).  Names are used in
 * the output only.  *out is owned by the caller (nd_compare_free). */
ND_API nd_status nd_compare_buffers(const char *name_a, const void *a, size_t alen,
                                    const char *name_b, const void *b, size_t blen,
                                    const nd_compare_options *co, nd_compare **out);

/* Compares two files ("-" = standard input; gzip is decompressed; a file in
 * another encoding is decoded as the scanner decodes it, co->encoding, and
 * compared as UTF-8 text).  A path that cannot be used is reported through
 * diag (like the scanner's) and its status returned (ND_ERR_IO,
 * ND_ERR_BINARY, ...); a directory gives ND_ERR_NOT_REGULAR.  A guessed
 * encoding is a notice through diag (ND_ERR_ENCODING), not a failure.  Both
 * files are read whole into memory (never mapped) and checked to be the
 * files opened; one that changed while it was read gives ND_ERR_CHANGED. */
ND_API nd_status nd_compare_paths(const char *path_a, const char *path_b,
                                  const nd_compare_options *co, nd_diag_fn diag, void *user,
                                  nd_compare **out);
/* As nd_compare_paths, calling progress(progress_user, p) (NULL: none) on
 * the calling thread as it goes: ND_STAGE_READ 0 of 0 before the files are
 * read, ND_STAGE_SKETCH (the normalisation) with bytes of both documents
 * done of their total before and after each, ND_STAGE_PASSAGE 0 of 0 when
 * the fingerprints and the alignment start; p is valid during the call
 * only.  Returns as nd_compare_paths. */
ND_API nd_status nd_compare_paths_progress(const char *path_a, const char *path_b,
                                           const nd_compare_options *co, nd_diag_fn diag,
                                           void *user, nd_progress_fn progress, void *progress_user,
                                           nd_compare **out);
ND_API void nd_compare_free(nd_compare *c);

typedef struct nd_compare_doc_info {
    const char *path;
    uint64_t bytes;         /* after decompression, before decoding */
    uint64_t chars;         /* normalised characters */
    uint64_t covered_chars; /* characters inside some shared passage's
                               matched fragments */
    uint32_t lines;         /* lines (a last line without terminator counts) */
    unsigned char gzip;
    const char *encoding; /* the encoding it was read in, lower case
                               ("utf-8" when not decoded); owned by c */
} nd_compare_doc_info;

/* which: 0 = A, 1 = B.  ND_ERR_INVALID otherwise. */
ND_API nd_status nd_compare_document(const nd_compare *c, unsigned which, nd_compare_doc_info *out);
/* The text compared, not NUL-terminated: the document's (decompressed)
 * bytes, or for a document decoded from another encoding its UTF-8 text.
 * nd_passage_side.text_offset and text_length index it. */
ND_API nd_status nd_compare_document_text(const nd_compare *c, unsigned which, const char **text,
                                          size_t *len);

/* nd_passage_side and nd_passage_info: see the report's pairwise passages. */

/* Passages are ordered by position in A, then in B. */
ND_API size_t nd_compare_passage_count(const nd_compare *c);
ND_API nd_status nd_compare_passage(const nd_compare *c, size_t i, nd_passage_info *out);

/* Renders the comparison as text, jsonl or html (json and csv give
 * ND_ERR_INVALID).  wo may be NULL; wo->preview limits the text format's
 * excerpts (0 = none: locations only).  Deterministic bytes; ND_ERR_IO if fn
 * failed. */
ND_API nd_status nd_compare_write(const nd_compare *c, nd_format format, const nd_write_options *wo,
                                  nd_write_fn fn, void *user);
/* As nd_compare_write, with the text format's previews fitted to `width`
 * display columns (0: 100, what nd_compare_write and nd_compare_write_path
 * use; a program writing to a terminal passes its width).  Paths are never
 * cut.  Other formats ignore width.  Arguments, threads and returns as
 * nd_compare_write. */
ND_API nd_status nd_compare_write_width(const nd_compare *c, nd_format format,
                                        const nd_write_options *wo, unsigned width, nd_write_fn fn,
                                        void *user);
/* Writes the comparison to `path` as nd_report_write_path writes a report
 * (the same code): atomically, through a temporary file in the same
 * directory renamed over path, mode 0666 & ~umask; a character device or
 * fifo is written in place; nothing is left behind on failure.  Formats as
 * nd_compare_write; c and path must not be NULL, wo may be.  The handle is
 * only read (but for the errno of a failure, which the last failing write
 * keeps).  ND_ERR_IO (nd_compare_sys_errno), ND_ERR_NOT_REGULAR,
 * ND_ERR_INVALID, ND_ERR_NOMEM. */
ND_API nd_status nd_compare_write_path(const nd_compare *c, nd_format format,
                                       const nd_write_options *wo, const char *path);
/* The options the comparison was made with, copied into *out (ND_ERR_INVALID
 * for NULL).  Thread-safe. */
ND_API nd_status nd_compare_get_options(const nd_compare *c, nd_compare_options *out);
/* After nd_compare_write or nd_compare_write_path returned ND_ERR_IO: the
 * errno value the write function (or the failed system call) returned (0 if
 * unknown), as nd_report_sys_errno.  Problems with
 * the input files reach nd_compare_paths' diag, with their errno. */
ND_API int nd_compare_sys_errno(const nd_compare *c);

/* ------------------------------------------------------------------------ */
/* Index: a persistent corpus in SQLite, queried without rescanning it        */
/* ------------------------------------------------------------------------ */

/* An index is one SQLite database file holding what the scan computes for
 * every paragraph of a corpus - its place, characters, exact key, LSH band
 * keys - and, per distinct paragraph, its normalised token stream, so that a
 * new document is checked against the corpus with exact Jaccard similarity
 * without reading the corpus again (not even when its files moved or
 * changed).  Every parameter that changes what is compared is stored in the
 * database (nd_options: split, min_chars, norm_flags, shingle, num_perm,
 * seed, threshold, bands and rows as resolved, max_paragraph_bytes,
 * encoding, jsonl_field, id_field) with the format and sketch versions;
 * asking for other values is refused with ND_ERR_MISMATCH, never mixed.
 * Layout and reasons: src/index.c.
 *
 * One handle must not be used by two threads at once; separate handles on
 * the same file may be used from separate threads or processes: readers
 * (queries) run while one writer adds or removes (SQLite's WAL mode); a
 * second writer waits up to the busy timeout (5 s,
 * nd_index_set_busy_timeout) and then fails with ND_ERR_BUSY.  Every
 * nd_index_add and nd_index_remove is one transaction: a process killed in
 * the middle leaves the index as it was before.  A new index is built in
 * a temporary file beside its path and appears there, whole, when its
 * first write is done (see nd_index_open). */
typedef struct nd_index nd_index;

/* The on-disk format this library reads and writes (meta key "format"). */
#define ND_INDEX_FORMAT 5

/* Opens the index at `path`.  create != 0: makes a new index there with
 * *opt (NULL: the defaults; bands and rows are resolved and stored as
 * numbers) - a file that already exists is refused (ND_ERR_STATE).  The
 * new index is built in a temporary file beside path (PATH.new-PID-N,
 * without a journal: its first write is a bulk load) and appears at path
 * when its first nd_index_add, nd_index_add_paths or nd_index_remove is
 * done (synced; in WAL mode from then on), or at nd_index_close if none
 * came; if that first write fails, the temporary file is removed, nothing
 * appears at path and the handle can only be closed.  A process killed
 * before leaves the temporary file and no index.
 * create == 0: opens an existing index (a missing file: ND_ERR_IO); with opt
 * NULL it uses the stored options (nd_index_options), else every stored
 * parameter must equal opt's: the first that differs gives ND_ERR_MISMATCH
 * and a message naming it and both values ("the index was made with
 * threshold 0.8, not 0.9").  A file that is not a neardup index gives
 * ND_ERR_FORMAT, one of another format or sketch version ND_ERR_MISMATCH.
 * Options that do not change what is compared (threads, memory_limit,
 * common_docs, max_file_size, passages...) are taken from opt when given.
 * Unlike other functions, *out receives a handle also when the call fails
 * (except ND_ERR_INVALID for a NULL path or out, and ND_ERR_NOMEM before
 * the handle exists), so that nd_index_errmsg can say why, as
 * sqlite3_open does; close it with nd_index_close.  Only
 * nd_index_errmsg and nd_index_close may be called on a handle whose open
 * failed (others give ND_ERR_STATE).  The caller owns the handle. */
ND_API nd_status nd_index_open(const char *path, const nd_options *opt, int create, nd_index **out);

/* Closes the database and frees the handle.  Accepts NULL. */
ND_API void nd_index_close(nd_index *idx);

/* A one-line English message about the last failing call on idx (no
 * trailing newline; "" when none; the field names of nd_options as in
 * nd_options_check's messages).  Owned by idx, valid until the next call
 * on it.  NULL idx gives "". */
ND_API const char *nd_index_errmsg(const nd_index *idx);

/* The options stored in the index (those that do not affect comparison:
 * as given to nd_index_open, or the defaults), into *out. */
ND_API nd_status nd_index_options(const nd_index *idx, nd_options *out);

/* Where problems with single inputs of nd_index_add and nd_index_query go
 * (as nd_scanner_set_diag; NULL = nowhere).  Not an error of the call. */
ND_API void nd_index_set_diag(nd_index *idx, nd_diag_fn fn, void *user);

/* How long nd_index_add and nd_index_remove wait for another writer to
 * finish before they fail with ND_ERR_BUSY (default 5000 ms; 0: not at
 * all).  Queries never wait: they read the last committed state. */
ND_API void nd_index_set_busy_timeout(nd_index *idx, unsigned ms);

/* The threads of nd_index_add (0, the default: one per core): one writes
 * the database while the others read and sketch the next files; with 1
 * one thread does both in turn.  Not stored in the index. */
ND_API void nd_index_set_threads(nd_index *idx, unsigned threads);

/* Which files the walks of nd_index_add and nd_index_query take, as
 * nd_scanner_add_walk_rule and nd_scanner_set_hidden do for a scan (the
 * same patterns, the same rules); not stored in the index.  Set before
 * adding; the pattern is copied.  ND_ERR_INVALID for an empty pattern,
 * ND_ERR_NOMEM, or ND_OK. */
ND_API nd_status nd_index_add_walk_rule(nd_index *idx, nd_walk_rule rule, const char *pattern);
ND_API void nd_index_set_hidden(nd_index *idx, int hidden);

/* What one nd_index_add did. */
typedef struct nd_index_add_info {
    uint64_t files_new;       /* files indexed for the first time */
    uint64_t files_changed;   /* files whose content changed: re-indexed */
    uint64_t files_unchanged; /* same content hash: nothing written */
    uint64_t skipped;         /* inputs reported through the diag callback */
    uint64_t documents;       /* documents written (new and changed files) */
    uint64_t paragraphs;      /* paragraphs written */
} nd_index_add_info;

/* Adds a file or a directory (walked, filtered and decoded as
 * nd_scanner_add_path does: gzip, encodings, archives, JSON Lines with
 * jsonl_field; standard input "-" is refused with ND_ERR_INVALID) to the
 * index, in one transaction.  A file already indexed under the same path
 * costs one hash of its bytes when unchanged (XXH3-128 of the file as it is
 * on disk); a changed one is indexed again in place of its old rows.
 * Paths are stored as given (as the scan names documents).  Inputs that
 * cannot be read go to the diag callback and are counted in info->skipped;
 * that is not an error.  info may be NULL.  Returns ND_OK, ND_ERR_BUSY,
 * ND_ERR_IO (the database could not be written: a full disk, with the
 * message), ND_ERR_NOMEM, ND_ERR_INVALID; on failure the index is as it
 * was before the call. */
ND_API nd_status nd_index_add(nd_index *idx, const char *path, nd_index_add_info *info);

/* As nd_index_add for paths[0 .. n-1], walked in their order, in one
 * transaction (one commit, one segment). */
ND_API nd_status nd_index_add_paths(nd_index *idx, const char *const *paths, size_t n,
                                    nd_index_add_info *info);

/* Removes the file `path`, or every file below the directory `path` (the
 * stored paths that start with "path/"), with their documents and
 * paragraphs, in one transaction.  *removed (may be NULL) receives the
 * number of files removed; none is not an error.  ND_ERR_BUSY, ND_ERR_IO,
 * ND_ERR_NOMEM. */
ND_API nd_status nd_index_remove(nd_index *idx, const char *path, uint64_t *removed);

/* Checks the index: SQLite's PRAGMA integrity_check, then the index's own
 * invariants - every paragraph's document and every document's file exist,
 * every distinct paragraph (token stream) is used by a paragraph and
 * decodes to its stored token count and shingle count and hashes to its
 * exact key, the band keys are exactly those stored with each distinct
 * paragraph, and the files', documents' paragraph and character counts
 * add up.  ND_OK when all hold; ND_ERR_FORMAT with the first failure in
 * nd_index_errmsg; ND_ERR_IO, ND_ERR_NOMEM. */
ND_API nd_status nd_index_check(nd_index *idx);

/* Sizes of the index (nd_index_counts). */
typedef struct nd_index_counts {
    uint64_t files, documents, paragraphs;
    uint64_t distinct;   /* distinct clusterable paragraphs (texts kept) */
    uint64_t band_keys;  /* band-key entries in the segments (those of removed
                              paragraphs included until segments merge) */
    uint64_t text_bytes; /* the distinct paragraphs' texts, bytes */
    uint64_t db_bytes;   /* the database file (page_count x page_size) */
} nd_index_counts;

ND_API nd_status nd_index_counts_get(nd_index *idx, nd_index_counts *out);

/* How an indexed file stands on disk now (nd_index_status). */
typedef enum nd_index_file_state {
    ND_INDEX_FILE_SAME = 0, /* same size and modification time, or same
                               content hash */
    ND_INDEX_FILE_CHANGED,  /* other content: nd_index_add would re-index it */
    ND_INDEX_FILE_GONE      /* cannot be opened (deleted, moved) */
} nd_index_file_state;

/* Calls fn(user, path, state) for every indexed file, in byte order of
 * paths (path valid during the call only).  A file whose size and
 * modification time are those indexed is SAME without being read; otherwise
 * its content hash decides.  ND_OK, ND_ERR_IO, ND_ERR_NOMEM. */
ND_API nd_status nd_index_status(
    nd_index *idx, void (*fn)(void *user, const char *path, nd_index_file_state state), void *user);

/* The report of the whole indexed corpus, from the index alone (`neardup
 * scan --db`): the stored paragraphs, characters, exact keys, band keys and
 * texts go through the scan's own exact, LSH, verify and cluster stages and
 * report builder, so *out is the report nd_scanner_run gives for the same
 * files with the index's options - the files need not exist any more.
 * Documents come in the order a walk meets their files (by path, component
 * by component; a file's documents in the order they were read), which is
 * the order of a scan of the indexed directory.  What is compared comes
 * from the index; from opt (NULL: the defaults) only threads, memory_limit,
 * common_docs and max_file_size are taken, and opt->passages must be 0 (the
 * index holds no passages: ND_ERR_INVALID).  The report holds every
 * paragraph's text in memory (about the corpus's text).  *out is owned by
 * the caller (nd_report_free).  ND_ERR_NOMEM, ND_ERR_IO (the database),
 * ND_ERR_FORMAT (a damaged index), ND_ERR_STATE. */
ND_API nd_status nd_index_scan(nd_index *idx, const nd_options *opt, nd_report **out);

/* The result of one query: immutable, may be read from many threads, owned
 * by the caller (nd_query_free); it does not refer to the index, which may
 * be closed first. */
typedef struct nd_query nd_query;

/* Checks the documents of `path` (a file or directory, walked and decoded
 * as nd_index_add reads them; "-" is standard input) against the index:
 * each is split and sketched exactly as the scan does, and for each of its
 * clusterable paragraphs every indexed paragraph with an exact token-shingle
 * Jaccard >= the index's threshold is found - candidates by the stored LSH
 * band keys, then verified with the stored token stream, so results stay
 * exact after the indexed files moved, changed or were deleted.  A document
 * is not matched with an indexed document of the same name (a file queried
 * against an index that holds it).  Inputs that cannot be read go to the
 * diag callback (a query with no document is not an error).  *out receives
 * the result.  ND_ERR_NOMEM, ND_ERR_IO (the database), ND_ERR_STATE. */
ND_API nd_status nd_index_query(nd_index *idx, const char *path, nd_query **out);

ND_API void nd_query_free(nd_query *q);

/* A query document (in walk order). */
typedef struct nd_query_doc_info {
    const char *path;
    uint64_t bytes; /* original bytes */
    uint64_t paragraphs;
    uint64_t chars;         /* normalised characters */
    uint64_t matched_chars; /* of those, in paragraphs with a match */
    const char *encoding;   /* as nd_document_info.encoding */
} nd_query_doc_info;

/* A paragraph of a query document; its matches are
 * first_match .. first_match + matches - 1. */
typedef struct nd_query_paragraph_info {
    uint32_t doc;    /* query document index */
    uint32_t line;   /* 1-based */
    uint64_t offset; /* original bytes, as nd_paragraph_info */
    uint32_t length;
    uint32_t chars;
    size_t first_match, matches;
    const char *text; /* its text (UTF-8, as read and decoded; not
                                NUL-terminated) when it has a match, else
                                NULL; owned by the query */
    size_t text_len;
} nd_query_paragraph_info;

/* An indexed document that holds at least one match (a "target"). */
typedef struct nd_query_target_info {
    const char *path; /* its name in the index, as stored */
    uint64_t bytes;   /* original bytes when indexed */
    uint64_t paragraphs;
    uint64_t chars; /* normalised characters */
} nd_query_target_info;

/* One indexed paragraph near-duplicating a query paragraph. */
typedef struct nd_query_match_info {
    uint32_t paragraph; /* query paragraph index */
    uint32_t target;    /* nd_query_target index */
    uint32_t line;      /* of the indexed paragraph, 1-based */
    uint64_t offset;    /* original bytes of the indexed document */
    uint32_t length;
    uint32_t chars;
    double similarity; /* exact token-shingle Jaccard, >= threshold */
    const char *text;  /* the indexed paragraph's text (UTF-8 as it was
                                read, after decoding; not NUL-terminated),
                                owned by the query */
    size_t text_len;
} nd_query_match_info;

/* What a query document shares with a target. */
typedef struct nd_query_overlap_info {
    uint32_t doc, target;
    uint64_t doc_in_target; /* the query document's characters in
                                paragraphs with a match in the target */
    uint64_t target_in_doc; /* the target's characters in paragraphs that
                                match a paragraph of the query document */
    uint64_t matches;       /* matching paragraph pairs */
} nd_query_overlap_info;

/* Accessors: ND_OK, or ND_ERR_INVALID for an index out of range or NULL.
 * Orders: documents in walk order, paragraphs by (document, offset);
 * targets by path; matches by paragraph, then similarity descending, then
 * target, then offset; overlaps by document, then doc_in_target descending,
 * then target. */
ND_API nd_status nd_query_threshold(const nd_query *q, double *out);
ND_API size_t nd_query_document_count(const nd_query *q);
ND_API nd_status nd_query_document(const nd_query *q, size_t i, nd_query_doc_info *out);
/* The normalised characters of query document i (of target i) in
 * paragraphs with at least min_chars characters: what a comparison can
 * find elsewhere, and the denominator of every share the query writers
 * print (as nd_report_document_comparable is the scan report's).  Functions,
 * not fields of the info structs, so that those keep their layout.
 * ND_ERR_INVALID for an index out of range. */
ND_API nd_status nd_query_document_comparable(const nd_query *q, size_t i, uint64_t *out);
ND_API nd_status nd_query_target_comparable(const nd_query *q, size_t i, uint64_t *out);
ND_API size_t nd_query_paragraph_count(const nd_query *q);
ND_API nd_status nd_query_paragraph(const nd_query *q, size_t i, nd_query_paragraph_info *out);
ND_API size_t nd_query_target_count(const nd_query *q);
ND_API nd_status nd_query_target(const nd_query *q, size_t i, nd_query_target_info *out);
ND_API size_t nd_query_match_count(const nd_query *q);
ND_API nd_status nd_query_match(const nd_query *q, size_t i, nd_query_match_info *out);
ND_API size_t nd_query_overlap_count(const nd_query *q);
ND_API nd_status nd_query_overlap(const nd_query *q, size_t i, nd_query_overlap_info *out);

/* Renders the result as text, jsonl, csv or html (json: ND_ERR_INVALID).
 * Text: per query document its shares and overlaps, then per paragraph
 * with matches its line and each match as path:line and similarity.
 * jsonl: one "query" record per document, one "overlap" record per
 * target, one "match" record per match; csv: the same records as rows of
 * one table with a "kind" column, matches with both texts; html: one
 * self-contained page, per query document its overlaps and its matches
 * side by side (layouts at the top of src/write_index.c).  Deterministic
 * bytes; ND_ERR_IO if fn failed. */
ND_API nd_status nd_query_write(const nd_query *q, nd_format format, const nd_write_options *wo,
                                nd_write_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* NEARDUP_H */
