/*
 * index.c - the persistent index: a corpus's paragraphs, exact keys, LSH
 * band keys and texts in one SQLite database, so that a new document is
 * checked against the corpus without rescanning it (issue 15).
 *
 * What.  `index create/add` runs the scan's first two stages on each file -
 * the same walk and decoders (input.c), the same splitter (split.c:
 * nd_split_document) and the same per-paragraph sketch
 * (stage_sketch.c: nd_sketch_paragraph, which normalises, tokenises,
 * shingles, takes the MinHash signature and its band keys) - and writes
 * their plain-data output (DESIGN.md's boxes) into tables instead of
 * handing it to the exact, LSH and verify stages.  `query` sketches the
 * query document the same way, finds candidates by its band keys in the
 * segments (the LSH stage's "equal key in a band"), and verifies each with
 * the exact token-shingle Jaccard of the two texts (nd_shingler_set and
 * nd_hashset_jaccard, as stage_verify.c does from the files), accepting
 * J >= threshold.  No algorithm has a second implementation here: index
 * and scan agree by construction, and tests/test_index.c compares the two.
 *
 * Why SQLite.  Embedded, one file, ACID transactions with a write-ahead
 * log (readers never block the writer or each other), a B-tree per table
 * with point and range lookups, and an integrity check (Debian 12:
 * libsqlite3-dev 3.40).  The references: the SQLite file format and WAL
 * documentation (sqlite.org/fileformat2.html, sqlite.org/wal.html);
 * Broder 1997 and Indyk-Motwani 1998 for MinHash and LSH (see sketch.c and
 * lsh.c); Bentley and Saxe's logarithmic method ("Decomposable searching
 * problems I", J. Algorithms 1980) and O'Neil et al.'s log-structured
 * merge-tree (Acta Informatica 1996) for the segments below.
 *
 * Schema (format 5; ND_INDEX_FORMAT):
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)            WITHOUT ROWID
 *       magic "neardup index", format, sketch (the signature and token
 *       format, SKETCH_VERSION), created_by (library version), and every
 *       parameter that changes what is compared, named as nd_options'
 *       fields: split, min_chars, norm_flags, shingle, num_perm, seed,
 *       threshold, bands, rows (resolved: never 0), max_paragraph_bytes,
 *       encoding, jsonl_field, id_field.  Opening with other values fails
 *       with ND_ERR_MISMATCH naming the first one and both values.
 *   files(id, path UNIQUE, size, mtime_ns, hash, documents, paragraphs)
 *       one row per file on disk (a JSON Lines file or an archive is one
 *       file of several documents); hash = XXH3-128 of its bytes as on
 *       disk, so `add` of an unchanged file costs one hash.
 *   docs(id, file, name, bytes, paragraphs, chars, comparable, split,
 *        encoding, gzip, base)
 *       one row per document (name as a scan names it: PATH, FILE:LINE,
 *       ARCHIVE//MEMBER); bytes are original bytes, chars normalised ones,
 *       comparable those of its paragraphs with at least min_chars (the
 *       denominator of a query's shares, as of the scan's); split the mode
 *       its paragraphs were split by, encoding the one it was read in,
 *       gzip whether it was gzip data, base the original offset of its
 *       text's first byte (a JSON Lines record's or archive member's
 *       place in its file): what a report says of a document.
 *   paras(doc, off, len, line, chars, sset, text)   PRIMARY KEY (doc, off),
 *       WITHOUT ROWID: a document's paragraphs are one B-tree range.
 *       off/len are original bytes (as reports give them); sset is the
 *       distinct paragraph (NULL for short ones: fewer than min_chars
 *       characters or no token, never clustered, as in the scan).  text
 *       is the paragraph's own text (UTF-8 as read), kept only where its
 *       set's text is not these bytes - a copy that differs in case,
 *       punctuation, width or script, which the exact key does not see -
 *       and for every short paragraph (which has no set); NULL otherwise.
 *       With it every paragraph's text is in the index, which a report
 *       of the corpus (scan --db) previews and a query's match shows.
 *       No index on sset: the paragraphs of a distinct paragraph are
 *       found by its owner entries in the segments (below).
 *   sets(id AUTOINCREMENT, ekey, text)
 *       one row per distinct clusterable paragraph, told apart by the
 *       scan's exact key (XXH3-128 of the token values): paragraphs repeated
 *       across the corpus (boilerplate, licences) store their text and
 *       band keys once.  text: the UTF-8 bytes the paragraph was sketched
 *       from (after decoding), which verification normalises and shingles
 *       again exactly as the scan's verify stage does with the file's bytes
 *       - so a query stays exact after the files move or change - and which
 *       a report can quote.  Its band keys are in the segments only (below):
 *       `check` sketches the text again and finds each key there, a report
 *       of the corpus reads them from there (scan_bands).  Ids are
 *       given by the index, above every id ever given (AUTOINCREMENT's
 *       sqlite_sequence), never reused, since segments may still name a
 *       removed one; they stay below 2^32 (an entry holds 32 bits).  No
 *       index on ekey: the segments find exact keys (below).
 *   dead(sset)    ids of distinct paragraphs removed whose band keys are
 *       still in a segment; emptied when segments merge into one.
 *   skips(path PRIMARY KEY, status, errno, detail)
 *       the inputs an add's walk reported as skipped (binary, unreadable,
 *       corrupt, too large, malformed records; not a path that did not
 *       exist), in the order met (rowid): a report of the corpus lists them
 *       as a scan of the same files would.  Forgotten when the file is read
 *       or removed.
 *   segs(id AUTOINCREMENT, entries, owners)   and
 *   pages(id, band, seg, lo, data)    UNIQUE INDEX pages_at(band, seg, lo)
 *       The LSH tables as sorted runs, the exact keys as one more band
 *       (number `bands`, key = the exact key's top 32 bits; a hit is
 *       compared with sets.ekey), and the owner entries as the last band
 *       (number `bands` + 1).  Every add writes one segment: per band, its
 *       new distinct paragraphs' entries (key << 32 | set id) sorted and
 *       cut into pages of up to ND_PAGE_ENTRIES entries of 8 bytes (key,
 *       id; little-endian); and one owner entry per clusterable paragraph
 *       it wrote (of a new set or of one indexed before alike): (set id,
 *       doc, off), 16 bytes (32, 32 and 64 bits, little-endian), sorted,
 *       half as many a page.  A run of equal keys is never cut, lo = the
 *       page's first key; entries counts the segment's entries of
 *       distinct paragraphs, owners its owner entries.  A lookup of key K
 *       in band j reads, per segment, the page of greatest lo <= K (one
 *       probe of pages_at) and binary-searches it.  Segments are kept few
 *       by the logarithmic method (seg_compact: the newest merged into the
 *       one before while at least as large), so there are at most log2 of
 *       the entries of them and each entry is rewritten at most log2
 *       times; a merge drops the entries of dead ids, and the owner entries
 *       of dead sets and of documents no longer indexed.  A removal that
 *       leaves dead entries a quarter of all or more merges everything
 *       into one.
 *
 * Owner entries, not an index on paras(sset).  A query needs the
 * paragraphs of each distinct paragraph it matches, and a removal whether
 * a distinct paragraph is still used.  Format 4 kept a partial index
 * paras_sset(sset), made after the rows of a new index (CREATE INDEX:
 * SQLite reads the whole paras table back, sorts it and writes 13 bytes
 * a paragraph) and updated at random places by every later add.  An
 * owner entry names its paragraph's row (doc, off), which one probe of
 * paras' primary key reads; the entries of set S are read from the owner
 * band of each segment like any key.  An entry may outlive its paragraph
 * (its document removed or re-indexed) until a merge: every reader checks
 * that the row still holds S, so such an entry finds nothing.  A removed
 * or changed file's distinct paragraphs are candidates for removal, which
 * sets_reap decides at the end of the write, after its own segment is
 * written (a paragraph of the same write may use one again).  Measured on
 * 1 GB Chinese (2,374,053 paragraphs): the CREATE INDEX was about 1.0 s
 * of the writer thread at the end of `index create`, with nothing to
 * overlap it; the owner entries are sorted and written in some 0.1 s.

 * Why segments and not a row per key.  Format 1 kept bandkeys(band <<
 * 32 | key, sset) as a WITHOUT ROWID table: 18 B-tree inserts at random
 * places per distinct paragraph, which were two thirds of an index's
 * creation and made `add` rewrite pages all over a large table.  Measured
 * (1 thread, 10 MB bench corpora, `index create`, same loaded machine,
 * user CPU): Chinese 3.13 -> 0.32 s, wrapped English 7.43 -> 0.82 s; wall
 * 6.1 -> 1.1 s and 15.0 -> 2.1 s.  The rest of format 1's cost was the
 * token stream: the paragraph tokenised again and deflated (51 % of the
 * remaining samples on English, whose 64-bit word tokens deflate cannot
 * shrink), which the text replaces.  The exact keys left a UNIQUE index on
 * sets(ekey), inserted at random places: once it outgrew the page cache,
 * every insert read and wrote a page (100 MB Chinese: 6.0 -> 2.4 s of CPU
 * with the exact keys in the segments).  An add keeps its own new sets in
 * a hash map by exact key, and looks a key up in the segments only when the
 * index held sets before it began, so `index create` does no lookup at all.
 * Those lookups probe the segments (a page of pages_at and one of pages
 * each, 16 KiB read for 8 bytes wanted) until there have been as many as
 * the exact keys / 4,096; then the segments' exact keys are read once,
 * each segment's run as stored, and searched in memory (exact_lookup).
 * Measured (1 GB Chinese, add of 1 %: 21,277 lookups in 2,075,106 keys in
 * two segments; the add's writer thread, perf): the probes were some 0.2
 * s of page reads and B-tree descents, the whole add 0.45 s.
 * Rows are written at the end of each document by multi-row INSERTs (16
 * sets, 64 paragraphs a statement: SQLite spent some 1,850 instructions
 * ending each single-row statement; 10 MB Chinese 0.92 -> 0.76 G
 * instructions).
 *
 * Adding: producers and one writer.  SQLite writes on one thread; what
 * precedes the rows does not need the database, so nd_index_add cuts the
 * walked files into batches (up to 256 files or 4 MiB; the first of 256
 * KiB, each next one twice as large, so that the writer's wait for the
 * first is short) and, while the
 * writer (the caller's thread) writes batch b, a thread of its own runs
 * the producers (a pool of threads - 1, nd_index_set_threads) over batch
 * b + 1: each file hashed (a plain file from the bytes read for it, so it
 * is read once), compared with its stored hash (looked up by the writer
 * before the batch goes out: an unchanged file costs one hash), its
 * documents read, split and sketched, their paragraphs' bytes copied into
 * the file's slot.  The writer then only finds each distinct paragraph
 * (its table of new sets, prefetched a few paragraphs ahead) and binds
 * rows.  A file found changed while it was read is left out before
 * anything of it is written, so no savepoint per file is needed.  Pending
 * band keys are kept band-major, so that the segment's bands are read in
 * order when it is written.  Measured (100 MB generated corpora, 2 threads,
 * perf): the writer is the longer stage, about 0.8 s of CPU on Chinese
 * and 1.4 s on English against the producers' 0.6 and 0.7.
 *
 * A new index.  nd_index_open(create) makes it in a temporary file beside
 * its path (PATH.new-PID-N), and its first write (add or remove) runs
 * there without a journal and without syncs (journal_mode=OFF,
 * synchronous=OFF), with 16 KiB pages, an 8 MB page cache (whose pages
 * are written and reused as the load goes, where a 128 MB one was
 * allocated and faulted in page by page: 41,000 -> 23,000 page faults on
 * 100 MB Chinese); the file's pages are pushed to disk after each batch
 * (sync_file_range, without waiting).  Then publish switches it to WAL
 * mode, closes it, syncs it once (0.05 s of waiting left at the end, 0.16
 * s without the pushes), links it at its path (never over a file that
 * appeared there meanwhile) and opens it there: the index appears whole
 * or not at all.
 * A first write that fails removes the file (there is no journal to roll
 * back with), a process killed before the link leaves only the temporary
 * file (tests/index/run.sh, case create-sigkill).  Every later write is
 * ACID in WAL mode (Transactions, below).  The new index's CPU on 100 MB
 * Chinese: 2.4 -> 1.3 s, 186 -> 106 MB of memory, 175 -> 165 MB on disk.

 * The report of the corpus (nd_index_scan, scan --db).  The driver of the
 * scan (scan.c) takes a front of stages 1 and 2 (scan_hook.h, sketched):
 * scan_front hands it the stored paragraph table, characters, states,
 * exact keys and band keys, and the driver runs the scan's own exact, LSH,
 * verify and cluster stages and report on them - no second implementation,
 * so the report is the scan's byte for byte (tests/test_index.c,
 * tests/cli cases scan-db and scan-db-generated).  Each document becomes a
 * document with its bytes in memory: its paragraphs' texts one byte apart,
 * with an offset map (decode.h's nd_decmap, two segments a paragraph) that
 * gives each paragraph's stored original offset and end and the
 * document's original span (base, bytes), so the verify stage, the
 * similarities and the writers' previews read the stored texts as they
 * read a file's, and reports give the original offsets.  Documents come in
 * the order a walk meets their files (walk_cmp: by path, component by
 * component), so the report of an indexed directory is the scan's of it,
 * also after adds and removes.  One read transaction: a writer may work
 * meanwhile.  Not yet: the index's passages (--passages is refused).
 *
 * Size of format 5: the bundled corpus 851,968 bytes, 712 a paragraph (its
 * tables are smaller than a page); 100 MB Chinese (gen_corpus --seed 42
 * --passages 0.1, 191,889 paragraphs) 140.5 MB, 732 a paragraph; 1 GB
 * Chinese (2,374,053 paragraphs) 1,494 MB, 629 a paragraph: sets 1,022
 * MB (the texts), pages 362 MB (of which owner entries 35 MB, 16 bytes a
 * clusterable paragraph, where format 4's index on paras(sset) was 32
 * MB), paras 104 MB.  Each distinct paragraph's band keys are in the
 * segments alone (a copy in its sets row, 72 bytes a distinct paragraph
 * with the default 18 bands, was about 8 % of an index).
 *
 * Paragraphs below min_chars, and copies whose bytes differ from their
 * set's text, keep their own text in their paras row: about 3 % of an
 * index on the 5 MB generated corpora (Chinese 722 -> 747 bytes a
 * paragraph, English wrapped 484 -> 494), with no measurable change in
 * create's time.  Texts are stored as the bytes read (UTF-8: 3 bytes a
 * Chinese character, 700 bytes a distinct paragraph of the bundled
 * corpus), not as a deflated token stream (389 bytes there), so that the
 * stages and the writers read them as they read a file's.
 *
 * Transactions.  Every nd_index_add, nd_index_add_paths and
 * nd_index_remove on a published index is one write transaction (BEGIN
 * IMMEDIATE: the write lock is taken first, so a second writer waits up to
 * the busy timeout and then fails with ND_ERR_BUSY rather than
 * deadlocking on a lock upgrade).  One transaction per call rather than
 * per file: commits are the cost of a small-file corpus (an fsync each),
 * and a crash then leaves the old state or the new one, never half an
 * add.  WAL mode with synchronous=NORMAL: readers (queries) see the last
 * committed state while a writer works, a commit is durable across a
 * process crash (a power loss may lose the last commits, never
 * consistency).  The segment is written, and merged, in the same
 * transaction, so it commits or vanishes with its sets.  Statements are
 * prepared once per handle (SQLITE_PREPARE_PERSISTENT) and bound, never
 * formatted.
 *
 * Not yet (issue 15 continues): passages in the index, a walk that does
 * not load files before their hash says they are unchanged (the loader
 * sniffs 8 KiB of each, and reads decoded, gzip, JSON Lines and archive
 * files whole), SQLite's own work on the writer's thread made smaller.
 */
#define _GNU_SOURCE /* sync_file_range (Linux): a new index's pages start to
                      go to disk while it is built */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>
#include <sqlite3.h>

#include "index.h"
#include "input.h"
#include "lsh.h"
#include "nd_internal.h"
#include "pool.h"
#include "report.h"
#include "scan_hook.h"
#include "sketch.h"
#include "split.h"
#include "stage.h"
#include "xxh.h"

#define MAGIC          "neardup index"
/* What the stored keys and tokens were made with: the token values and
 * the signature format of 0.4.0 (text.h; sketch.c: "signature format since
 * 0.3.0, with the token values of 0.4.0") and the band keys by vector
 * multiply-shift (lsh.c, after 0.4.0).  It must change whenever any of
 * them changes; an index of another version is refused (ND_ERR_MISMATCH).
 * (sketch.h and lsh.h keep no such constant yet: when they do, this is
 * made from theirs.) */
#define SKETCH_VERSION "0.4.0+mulshift-bands"
#define BUSY_MS        5000

/* Prepared statements, by purpose. */
enum {
    S_FILE_GET,
    S_FILE_INS,
    S_FILE_UPD,
    S_FILE_TOUCH,
    S_FILE_DEL,
    S_FILE_LIKE,
    S_DOC_INS,
    S_DOC_UPD,
    S_DOC_GET,
    S_PARA_INS,
    S_FSETS,
    S_PARA_DEL,
    S_DOC_DEL,
    S_SET_USED,
    S_SET_GET,
    S_SET_INS,
    S_SET_TEXT,
    S_SET_DEL,
    S_DEAD_INS,
    S_SEG_INS,
    S_SEG_LIST,
    S_SEG_SET,
    S_SEG_DEL,
    S_PAGE_INS,
    S_PAGE_FIND,
    S_PAGE_BAND,
    S_PAGE_DEL,
    S_PARA_OF_SET,
    S_SCAN_DOCS,
    S_SCAN_PARAS,
    S_SKIP_PUT,
    S_SKIP_LIST,
    S_SKIP_DEL,
    S_SCAN_SKIPS,
    S_COUNT_
};

static const char *const sql_text[S_COUNT_] = {
    [S_FILE_GET] = "SELECT id, hash FROM files WHERE path = ?1",
    [S_FILE_INS] = "INSERT INTO files(path, size, mtime_ns, hash, documents, paragraphs) "
                   "VALUES(?1, ?2, ?3, ?4, 0, 0)",
    [S_FILE_UPD] = "UPDATE files SET size = ?2, mtime_ns = ?3, hash = ?4, documents = ?5, "
                   "paragraphs = ?6 WHERE id = ?1",
    [S_FILE_TOUCH] = "UPDATE files SET size = ?2, mtime_ns = ?3 WHERE id = ?1",
    [S_FILE_DEL] = "DELETE FROM files WHERE id = ?1",
    [S_FILE_LIKE] = "SELECT id FROM files WHERE path = ?1 OR (path > ?2 AND path < ?3) "
                    "ORDER BY path",
    [S_DOC_INS] = "INSERT INTO docs(file, name, bytes, paragraphs, chars, comparable, split,"
                  " encoding, gzip, base) VALUES(?1, ?2, ?3, 0, 0, 0, ?4, ?5, ?6, ?7)",
    [S_DOC_UPD] = "UPDATE docs SET paragraphs = ?2, chars = ?3, comparable = ?4 WHERE id = ?1",
    [S_DOC_GET] = "SELECT name, bytes, paragraphs, chars, comparable FROM docs WHERE id = ?1",
    [S_PARA_INS] = "INSERT INTO paras(doc, off, len, line, chars, sset, text) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_FSETS] = "SELECT DISTINCT p.sset FROM docs d JOIN paras p ON p.doc = d.id "
                "WHERE d.file = ?1 AND p.sset IS NOT NULL",
    [S_PARA_DEL] = "DELETE FROM paras WHERE doc IN (SELECT id FROM docs WHERE file = ?1)",
    [S_DOC_DEL] = "DELETE FROM docs WHERE file = ?1",
    [S_SET_USED] = "SELECT 1 FROM paras WHERE doc = ?1 AND off = ?2 AND sset = ?3",
    [S_SET_GET] = "SELECT ekey FROM sets WHERE id = ?1",
    [S_SET_INS] = "INSERT INTO sets(id, ekey, text) VALUES(?1, ?2, ?3)",
    [S_SET_TEXT] = "SELECT text FROM sets WHERE id = ?1",
    [S_SET_DEL] = "DELETE FROM sets WHERE id = ?1",
    [S_DEAD_INS] = "INSERT INTO dead(sset) VALUES(?1)",
    [S_SEG_INS] = "INSERT INTO segs(entries, owners) VALUES(?1, ?2)",
    [S_SEG_LIST] = "SELECT id, entries + owners FROM segs ORDER BY id",
    [S_SEG_SET] = "UPDATE segs SET entries = ?2, owners = ?3 WHERE id = ?1",
    [S_SEG_DEL] = "DELETE FROM segs WHERE id = ?1",
    [S_PAGE_INS] = "INSERT INTO pages(band, seg, lo, data) VALUES(?1, ?2, ?3, ?4)",
    [S_PAGE_FIND] = "SELECT data FROM pages WHERE band = ?1 AND seg = ?2 AND lo <= ?3 "
                    "ORDER BY lo DESC LIMIT 1",
    [S_PAGE_BAND] = "SELECT data FROM pages WHERE band = ?1 AND seg = ?2 ORDER BY lo",
    [S_PAGE_DEL] = "DELETE FROM pages WHERE band = ?1 AND seg = ?2",
    [S_PARA_OF_SET] = "SELECT len, line, chars, text FROM paras WHERE doc = ?1 AND off = ?2"
                      " AND sset = ?3",
    [S_SCAN_DOCS] = "SELECT d.id, f.path, d.name, d.bytes, d.split, d.encoding, d.gzip, d.base"
                    " FROM docs d JOIN files f ON f.id = d.file",
    [S_SCAN_PARAS] = "SELECT p.off, p.len, p.line, p.chars, p.sset, p.text, s.text, s.ekey"
                     " FROM paras p LEFT JOIN sets s ON s.id = p.sset"
                     " WHERE p.doc = ?1 ORDER BY p.off",
    [S_SKIP_PUT] = "INSERT INTO skips(path, status, errno, detail) VALUES(?1, ?2, ?3, ?4)"
                   " ON CONFLICT(path) DO UPDATE SET status = ?2, errno = ?3, detail = ?4",
    [S_SKIP_LIST] = "SELECT rowid, path FROM skips",
    [S_SKIP_DEL] = "DELETE FROM skips WHERE rowid = ?1",
    [S_SCAN_SKIPS] = "SELECT path, status, errno, detail FROM skips ORDER BY rowid",
};

static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash BLOB NOT NULL,"
    " documents INTEGER NOT NULL, paragraphs INTEGER NOT NULL);"
    "CREATE TABLE docs(id INTEGER PRIMARY KEY, file INTEGER NOT NULL, name TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, paragraphs INTEGER NOT NULL, chars INTEGER NOT NULL,"
    " comparable INTEGER NOT NULL, split INTEGER NOT NULL, encoding TEXT NOT NULL,"
    " gzip INTEGER NOT NULL, base INTEGER NOT NULL);"
    "CREATE INDEX docs_file ON docs(file);"
    "CREATE TABLE paras(doc INTEGER NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL,"
    " line INTEGER NOT NULL, chars INTEGER NOT NULL, sset INTEGER, text BLOB,"
    " PRIMARY KEY(doc, off)) WITHOUT ROWID;"
    "CREATE TABLE sets(id INTEGER PRIMARY KEY AUTOINCREMENT, ekey BLOB NOT NULL,"
    " text BLOB NOT NULL);"
    "CREATE TABLE dead(sset INTEGER PRIMARY KEY);"
    "CREATE TABLE skips(path TEXT PRIMARY KEY, status INTEGER NOT NULL, errno INTEGER NOT NULL,"
    " detail TEXT);"
    "CREATE TABLE segs(id INTEGER PRIMARY KEY AUTOINCREMENT, entries INTEGER NOT NULL,"
    " owners INTEGER NOT NULL);"
    "CREATE TABLE pages(id INTEGER PRIMARY KEY, band INTEGER NOT NULL, seg INTEGER NOT NULL,"
    " lo INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE UNIQUE INDEX pages_at ON pages(band, seg, lo);";

struct nd_index {
    sqlite3 *db;
    char *path;
    int ok;         /* opened and checked: usable */
    nd_options opt; /* bands and rows resolved */
    nd_minhash mh;
    nd_sketch_params sp;
    nd_worker wk; /* sa: nd_sketch_paragraph; sb: tokens, query sets */
    sqlite3_stmt *st[S_COUNT_];
    nd_diag_fn diag;
    void *diag_user;
    unsigned busy_ms; /* how long a writer waits for the lock */
    char **rules[2];  /* walk patterns by nd_walk_rule, owned */
    size_t nrules[2];
    int hidden;                      /* walks take dot entries */
    nd_paratab pt;                   /* the document being split */
    uint32_t *pend_ids;              /* the new distinct paragraphs of this write, */
    uint32_t **pend_keys;            /* with their band keys in blocks of */
    size_t npend, pend_cap, nblocks; /* ND_PEND_BLOCK rows, band-major in each */
    size_t blocks_cap;               /* (pend_key): the next segment's entries */
    int64_t *cand;                   /* distinct paragraphs of deleted documents */
    size_t ncand, cand_cap;          /* (sets_reap) */
    struct owner *own;               /* the owner entries of this write's */
    size_t nown, own_cap;            /* paragraphs, for the next segment's */
    struct owner *own2, *olook;      /* owner band; a band's sorted while */
    size_t own2_cap, olook_cap;      /* written or merged; a lookup's */
    uint64_t *ent, *ent_tmp;         /* a band's entries while a segment is written */
    size_t ent_cap, tmp_cap;
    uint8_t *page; /* a page's bytes */
    size_t page_cap;
    int64_t *ids; /* set ids (deletes, candidates) */
    size_t ids_cap;
    int64_t *segs;              /* the segments a query reads */
    sqlite3_stmt *rows[2];      /* multi-row inserts: ROWS_SETS sets, ROWS_PARAS
                               paragraphs a statement */
    struct setrow *nsets;       /* the current document's new distinct */
    size_t nnsets, nsets_cap;   /* paragraphs and paragraphs, written when */
    struct pararow *nparas;     /* it is done (their texts are in the */
    size_t nnparas, nparas_cap; /* reader's buffer until then) */
    uint32_t next_set;          /* the next distinct paragraph's id */
    int64_t *look;              /* set ids an exact key's lookup found */
    size_t look_cap;
    uint64_t *xent;            /* the exact keys of the segments a write began with, */
    size_t *xrun;              /* as entries (key << 32 | id), segment g's sorted */
    size_t xrun_cap;           /* ones at xent[xrun[g] .. xrun[g + 1]), once */
    size_t xlooks;             /* xwant lookups asked for them (exact_lookup); */
    size_t xwant;              /* until then, each a probe of each segment */
    size_t xtotal;             /* (the segments' exact keys, as recorded) */
    int xheld;                 /* xent holds them */
    struct newset *fnew;       /* this write's new distinct paragraphs, the k-th */
    size_t fnew_cap;           /* of id fresh_base + k, found by exact key by */
    uint64_t *fslot;           /* slots (open addressing; cap a power of 2; */
    size_t fresh_n, fresh_cap; /* tag << 32 | k + 1, 0 empty) */
    uint32_t fresh_base;
    int had_sets;  /* the index held sets when this write began */
    int had_files; /* and files */
    char *tmp;     /* a new index: the temporary file it is built in until its
                   first write is done (publish), or NULL */
    int tmp_fd;    /* a descriptor of it that starts its writeback, or -1 */
    size_t nsegs, segs_cap;
    char msg[1024];
};

/* ------------------------------------------------------------------------ */
/* Messages and SQLite errors                                                */
/* ------------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static nd_status
fail(nd_index *idx, nd_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(idx->msg, sizeof idx->msg, fmt, ap);
    va_end(ap);
    return st;
}

/* The status and message of a failed SQLite call (rc its result code). */
static nd_status db_fail(nd_index *idx, int rc) {
    const char *why = idx->db ? sqlite3_errmsg(idx->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return fail(idx, ND_ERR_NOMEM, "out of memory");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fail(idx, ND_ERR_BUSY,
                    "'%s' is locked by another writer (waited %u.%03u s); try again when it "
                    "is done",
                    idx->path, idx->busy_ms / 1000, idx->busy_ms % 1000);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return fail(idx, ND_ERR_FORMAT, "'%s': %s", idx->path, why);
    default: return fail(idx, ND_ERR_IO, "'%s': %s", idx->path, why);
    }
}

static nd_status exec(nd_index *idx, const char *sql) {
    int rc = sqlite3_exec(idx->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ND_OK : db_fail(idx, rc);
}

/* The prepared statement k, reset and cleared of its bindings. */
static nd_status stmt(nd_index *idx, int k, sqlite3_stmt **out) {
    if (!idx->st[k]) {
        int rc = sqlite3_prepare_v3(idx->db, sql_text[k], -1, SQLITE_PREPARE_PERSISTENT,
                                    &idx->st[k], NULL);
        if (rc != SQLITE_OK) return db_fail(idx, rc);
    }
    sqlite3_reset(idx->st[k]);
    sqlite3_clear_bindings(idx->st[k]);
    *out = idx->st[k];
    return ND_OK;
}

/* Steps a statement that returns no row (or whose row is not wanted). */
static nd_status step_done(nd_index *idx, sqlite3_stmt *s) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(s);
        return ND_OK;
    }
    nd_status st = db_fail(idx, rc);
    sqlite3_reset(s);
    return st;
}

/* Steps s: 1 with a row, 0 when done, -1 on error (status in *st). */
static int step_row(nd_index *idx, sqlite3_stmt *s, nd_status *st) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    *st = db_fail(idx, rc);
    sqlite3_reset(s);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Meta: the parameters, as text                                             */
/* ------------------------------------------------------------------------ */

enum {
    M_SPLIT,
    M_MIN_CHARS,
    M_NORM,
    M_SHINGLE,
    M_NUM_PERM,
    M_SEED,
    M_THRESHOLD,
    M_BANDS,
    M_ROWS,
    M_MAX_PARA,
    M_ENCODING,
    M_JSONL,
    M_ID,
    M_COUNT_
};
static const char *const meta_names[M_COUNT_] = {
    "split", "min_chars", "norm_flags",          "shingle",  "num_perm",    "seed",    "threshold",
    "bands", "rows",      "max_paragraph_bytes", "encoding", "jsonl_field", "id_field"};
static const char *const split_names[] = {"auto", "line", "blank"};
static const char *const norm_names[] = {"nfkc", "casefold", "t2s", "pinyin", "strip"};

#define META_VAL 96

/* Shortest decimal form of x that reads back as x. */
static void fmt_double(char *buf, size_t size, double x) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* The stored text of every compared parameter of o (bands, rows resolved). */
static void meta_values(const nd_options *o, char v[M_COUNT_][META_VAL]) {
    snprintf(v[M_SPLIT], META_VAL, "%s", (unsigned)o->split < 3 ? split_names[o->split] : "?");
    snprintf(v[M_MIN_CHARS], META_VAL, "%u", o->min_chars);
    size_t n = 0;
    v[M_NORM][0] = '\0';
    for (unsigned b = 0; b < 5; b++)
        if (o->norm_flags & (1u << b))
            n += (size_t)snprintf(v[M_NORM] + n, META_VAL - n, "%s%s", n ? "," : "", norm_names[b]);
    if (!n) snprintf(v[M_NORM], META_VAL, "none");
    snprintf(v[M_SHINGLE], META_VAL, "%u", o->shingle);
    snprintf(v[M_NUM_PERM], META_VAL, "%u", o->num_perm);
    snprintf(v[M_SEED], META_VAL, "%llu", (unsigned long long)o->seed);
    fmt_double(v[M_THRESHOLD], META_VAL, o->threshold);
    snprintf(v[M_BANDS], META_VAL, "%u", o->bands);
    snprintf(v[M_ROWS], META_VAL, "%u", o->rows);
    snprintf(v[M_MAX_PARA], META_VAL, "%u", (unsigned)o->max_paragraph_bytes);
    snprintf(v[M_ENCODING], META_VAL, "%.*s", (int)sizeof o->encoding, o->encoding);
    snprintf(v[M_JSONL], META_VAL, "%.*s", (int)sizeof o->jsonl_field, o->jsonl_field);
    snprintf(v[M_ID], META_VAL, "%.*s", (int)sizeof o->id_field, o->id_field);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
    char *end = NULL;
    if (!*s || *s == '-' || *s == ' ') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

/* Sets o's compared fields from their stored text; -1 names a bad one. */
static int meta_parse(nd_options *o, char v[M_COUNT_][META_VAL]) {
    uint64_t u = 0;
    int s = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(v[M_SPLIT], split_names[i]) == 0) s = i;
    if (s < 0) return M_SPLIT;
    o->split = (nd_split_mode)s;
    unsigned flags = 0;
    if (strcmp(v[M_NORM], "none") != 0) {
        for (const char *p = v[M_NORM]; *p;) {
            size_t len = strcspn(p, ",");
            int hit = 0;
            for (unsigned b = 0; b < 5; b++)
                if (strlen(norm_names[b]) == len && memcmp(norm_names[b], p, len) == 0) {
                    flags |= 1u << b;
                    hit = 1;
                }
            if (!hit) return M_NORM;
            p += len + (p[len] == ',');
        }
    }
    o->norm_flags = flags;
    if (parse_u64(v[M_MIN_CHARS], UINT32_MAX, &u)) return M_MIN_CHARS;
    o->min_chars = (unsigned)u;
    if (parse_u64(v[M_SHINGLE], UINT32_MAX, &u)) return M_SHINGLE;
    o->shingle = (unsigned)u;
    if (parse_u64(v[M_NUM_PERM], UINT32_MAX, &u)) return M_NUM_PERM;
    o->num_perm = (unsigned)u;
    if (parse_u64(v[M_SEED], UINT64_MAX, &o->seed)) return M_SEED;
    char *end = NULL;
    o->threshold = strtod(v[M_THRESHOLD], &end);
    if (!v[M_THRESHOLD][0] || *end) return M_THRESHOLD;
    if (parse_u64(v[M_BANDS], UINT32_MAX, &u) || u == 0) return M_BANDS;
    o->bands = (unsigned)u;
    if (parse_u64(v[M_ROWS], UINT32_MAX, &u) || u == 0) return M_ROWS;
    o->rows = (unsigned)u;
    if (parse_u64(v[M_MAX_PARA], UINT32_MAX, &u)) return M_MAX_PARA;
    o->max_paragraph_bytes = (uint32_t)u;
    const int str[3] = {M_ENCODING, M_JSONL, M_ID};
    char *dst[3] = {o->encoding, o->jsonl_field, o->id_field};
    size_t cap[3] = {sizeof o->encoding, sizeof o->jsonl_field, sizeof o->id_field};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(v[str[i]]);
        if (len >= cap[i]) return str[i];
        memcpy(dst[i], v[str[i]], len + 1);
    }
    return -1;
}

/* Reads meta key `key` into buf; 0 found, 1 missing, -1 error (*st). */
static int meta_get(nd_index *idx, const char *key, char *buf, size_t size, nd_status *st) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(idx->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        *st = db_fail(idx, rc);
        if (*st == ND_ERR_IO && strstr(sqlite3_errmsg(idx->db), "no such table"))
            *st =
                fail(idx, ND_ERR_FORMAT, "'%s' is not a neardup index (no meta table)", idx->path);
        return -1;
    }
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    int found = 1;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(buf, size, "%s", t ? (const char *)t : "");
        found = 0;
    } else if (rc != SQLITE_DONE) {
        *st = db_fail(idx, rc);
        found = -1;
    }
    sqlite3_finalize(s);
    return found;
}

static nd_status meta_put(nd_index *idx, const char *key, const char *value) {
    sqlite3_stmt *s = NULL;
    int rc =
        sqlite3_prepare_v2(idx->db, "INSERT INTO meta(key, value) VALUES(?1, ?2)", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? ND_OK : db_fail(idx, rc);
}

/* ------------------------------------------------------------------------ */
/* Open, close                                                               */
/* ------------------------------------------------------------------------ */

/* opt with bands and rows resolved from threshold and num_perm when 0. */
static nd_status resolve_options(nd_index *idx, const nd_options *opt, nd_options *out) {
    char why[256];
    *out = *opt;
    if (nd_options_check(out, why, sizeof why) != ND_OK)
        return fail(idx, ND_ERR_INVALID, "%s", why);
    if (!out->bands) {
        nd_status st = nd_lsh_params(out->threshold, out->num_perm, &out->bands, &out->rows);
        if (st != ND_OK) return fail(idx, st, "no LSH parameters for threshold and num_perm");
    }
    return ND_OK;
}

static nd_status create_schema(nd_index *idx) {
    char v[M_COUNT_][META_VAL], num[32];
    nd_status st = ND_OK;
    meta_values(&idx->opt, v);
    /* rollback-journal mode until the first write is done (wal_on) */
    ND_TRY(exec(idx, "BEGIN IMMEDIATE"));
    ND_CHECK(exec(idx, schema_sql));
    ND_CHECK(meta_put(idx, "magic", MAGIC));
    snprintf(num, sizeof num, "%d", ND_INDEX_FORMAT);
    ND_CHECK(meta_put(idx, "format", num));
    ND_CHECK(meta_put(idx, "sketch", SKETCH_VERSION));
    ND_CHECK(meta_put(idx, "created_by", nd_version()));
    for (int i = 0; i < M_COUNT_; i++) ND_CHECK(meta_put(idx, meta_names[i], v[i]));
    ND_CHECK(exec(idx, "COMMIT"));
    return ND_OK;
out:
    (void)sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* Reads and checks the meta table; sets idx->opt's compared fields from it
 * (want: the caller's options, whose values must match, or NULL). */
static nd_status read_meta(nd_index *idx, const nd_options *want) {
    char v[M_COUNT_][META_VAL], buf[META_VAL], num[32];
    nd_status st = ND_OK;
    int r = meta_get(idx, "magic", buf, sizeof buf, &st);
    if (r < 0) return st;
    if (r > 0 || strcmp(buf, MAGIC) != 0)
        return fail(idx, ND_ERR_FORMAT, "'%s' is not a neardup index", idx->path);
    if ((r = meta_get(idx, "format", buf, sizeof buf, &st)) < 0) return st;
    snprintf(num, sizeof num, "%d", ND_INDEX_FORMAT);
    if (r > 0 || strcmp(buf, num) != 0)
        return fail(idx, ND_ERR_MISMATCH,
                    "'%s' is an index of format %s; this library reads format %s", idx->path,
                    r ? "?" : buf, num);
    if ((r = meta_get(idx, "sketch", buf, sizeof buf, &st)) < 0) return st;
    if (r > 0 || strcmp(buf, SKETCH_VERSION) != 0)
        return fail(idx, ND_ERR_MISMATCH,
                    "'%s' holds sketches of version %s; this library makes version %s", idx->path,
                    r ? "?" : buf, SKETCH_VERSION);
    for (int i = 0; i < M_COUNT_; i++) {
        if ((r = meta_get(idx, meta_names[i], v[i], META_VAL, &st)) < 0) return st;
        if (r > 0)
            return fail(idx, ND_ERR_FORMAT, "'%s': the parameter %s is missing", idx->path,
                        meta_names[i]);
    }
    if (want) {
        char w[M_COUNT_][META_VAL];
        meta_values(want, w);
        for (int i = 0; i < M_COUNT_; i++)
            if (strcmp(v[i], w[i]) != 0)
                return fail(idx, ND_ERR_MISMATCH, "the index was made with %s %s%s%s, not %s%s%s",
                            meta_names[i], v[i][0] ? "" : "\"", v[i], v[i][0] ? "" : "\"",
                            w[i][0] ? "" : "\"", w[i], w[i][0] ? "" : "\"");
    }
    int bad = meta_parse(&idx->opt, v);
    if (bad >= 0)
        return fail(idx, ND_ERR_FORMAT, "'%s': the parameter %s has a bad value '%s'", idx->path,
                    meta_names[bad], v[bad]);
    char why[256];
    if (nd_options_check(&idx->opt, why, sizeof why) != ND_OK)
        return fail(idx, ND_ERR_FORMAT, "'%s': stored parameters are invalid: %s", idx->path, why);
    return ND_OK;
}

/* The sketching state for idx->opt. */
static nd_status sketch_setup(nd_index *idx) {
    nd_shingler_init(&idx->wk.sa, &idx->opt);
    nd_shingler_init(&idx->wk.sb, &idx->opt);
    if (!(idx->wk.sig = nd_mallocn(idx->opt.num_perm, sizeof *idx->wk.sig)))
        return fail(idx, ND_ERR_NOMEM, "out of memory");
    ND_TRY(nd_minhash_init(&idx->mh, idx->opt.num_perm, idx->opt.seed));
    idx->sp = (nd_sketch_params){
        .opt = &idx->opt, .mh = &idx->mh, .bands = idx->opt.bands, .rows = idx->opt.rows};
    return ND_OK;
}

/* How a database is used: an index in place (WAL mode, set by its first
 * write; the page cache of a query's or an add's pages; and the file mapped
 * for reading, up to SQLite's own cap, 2 GiB in Debian's build, so that a
 * page read is not copied into freshly allocated cache memory, whose page
 * faults were a third of an add's time on this VM: an add of 1 % to the
 * 1 GB Chinese index, 0.38-0.49 -> 0.26-0.32 s, 12,400 -> 8,240 faults;
 * SQLite keeps writes going through the file and remaps when the file
 * changes size), or a new one being built in its temporary file (no
 * journal, no sync: publish syncs it once; 16 KiB pages; a small page
 * cache, whose pages are written and reused as the load goes rather than
 * each allocated and faulted in). */
#define PRAGMAS_IN_PLACE                                                                           \
    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;"              \
    " PRAGMA mmap_size=2147483647"
#define PRAGMAS_NEW                                                                                \
    "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"                     \
    " PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY"

/* Opens the database file `file` as idx->db (fresh: a new, empty file). */
static nd_status db_open(nd_index *idx, const char *file, int fresh) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(file, &idx->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!idx->db) return fail(idx, ND_ERR_NOMEM, "out of memory");
        return fail(idx, (rc & 0xff) == SQLITE_NOMEM ? ND_ERR_NOMEM : ND_ERR_IO,
                    "cannot open '%s': %s", file, sqlite3_errmsg(idx->db));
    }
    sqlite3_busy_timeout(idx->db, idx->busy_ms > INT_MAX ? INT_MAX : (int)idx->busy_ms);
    return exec(idx, fresh ? PRAGMAS_NEW : PRAGMAS_IN_PLACE);
}

/* Finalizes every prepared statement (before the database is closed). */
static void finalize_all(nd_index *idx) {
    for (int k = 0; k < S_COUNT_; k++) {
        sqlite3_finalize(idx->st[k]);
        idx->st[k] = NULL;
    }
    for (int k = 0; k < 2; k++) {
        sqlite3_finalize(idx->rows[k]);
        idx->rows[k] = NULL;
    }
}

/* Makes the temporary file a new index is built in, beside its path:
 * PATH.new-PID-N, created here (O_EXCL), so that no one else's is taken. */
static nd_status tmp_create(nd_index *idx) {
    nd_status st = ND_OK;
    size_t n = strlen(idx->path) + 48;
    char *t = nd_mallocn(n, 1);
    if (!t) return fail(idx, ND_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(t, n, "%s.new-%ld-%u", idx->path, (long)getpid(), i);
        int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            (void)close(fd);
            idx->tmp = t;
            return ND_OK;
        }
        if (errno != EEXIST) break;
    }
    st = fail(idx, ND_ERR_IO, "cannot create '%s': %s", idx->path, strerror(errno));
    free(t);
    return st;
}

/* Starts writing a new index's pages to disk (without waiting) as it is
 * built, so that the one sync at its end waits for the last ones only.
 * Linux's sync_file_range; elsewhere nothing. */
static void tmp_writeback(nd_index *idx) {
#ifdef SYNC_FILE_RANGE_WRITE
    if (idx->tmp_fd < 0) idx->tmp_fd = open(idx->tmp, O_RDONLY | O_CLOEXEC);
    if (idx->tmp_fd >= 0) (void)sync_file_range(idx->tmp_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)idx;
#endif
}

static void tmp_fd_close(nd_index *idx) {
    if (idx->tmp_fd >= 0) (void)close(idx->tmp_fd);
    idx->tmp_fd = -1;
}

/* Gives up a new index (its first write failed): its temporary file is
 * removed, so no index appears at its path; the handle can only be
 * closed. */
static void discard(nd_index *idx) {
    tmp_fd_close(idx);
    finalize_all(idx);
    if (idx->db) sqlite3_close_v2(idx->db);
    idx->db = NULL;
    if (idx->tmp) (void)unlink(idx->tmp);
    free(idx->tmp);
    idx->tmp = NULL;
    idx->ok = 0;
}

/* Syncs the directory that holds path (after a name was added to it). */
static void dir_sync(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? nd_mallocn((size_t)(slash - path) + 2, 1) : NULL;
    if (slash && !dir) return;
    if (dir) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
    free(dir);
}

/* Makes the new index built in idx->tmp the index at idx->path, after its
 * first write: switched to WAL mode (every later write is in it), closed,
 * synced once (its pages were written without a sync), linked at its path
 * - never over a file that appeared there meanwhile - and opened there
 * again.  A crash before the link leaves no index at the path (only the
 * temporary file); after it, the whole index.  On failure the new index is
 * discarded. */
static nd_status publish(nd_index *idx) {
    nd_status st = ND_OK;
    int fd = -1;
    finalize_all(idx);
    ND_CHECK(exec(idx, "PRAGMA journal_mode=WAL"));
    int rc = sqlite3_close(idx->db);
    idx->db = NULL;
    if (rc != SQLITE_OK) {
        st = fail(idx, ND_ERR_IO, "'%s': %s", idx->tmp, sqlite3_errstr(rc));
        goto out;
    }
    fd = open(idx->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        st = fail(idx, ND_ERR_IO, "cannot write '%s': %s", idx->tmp, strerror(errno));
        goto out;
    }
    if (link(idx->tmp, idx->path) == 0) {
        (void)unlink(idx->tmp);
    } else if (errno == EEXIST) {
        st = fail(idx, ND_ERR_STATE, "'%s' already exists", idx->path);
        goto out;
    } else if (rename(idx->tmp, idx->path) != 0) { /* a file system without links */
        st = fail(idx, ND_ERR_IO, "cannot create '%s': %s", idx->path, strerror(errno));
        goto out;
    }
    dir_sync(idx->path);
    tmp_fd_close(idx);
    free(idx->tmp);
    idx->tmp = NULL;
    ND_CHECK(db_open(idx, idx->path, 0));
out:
    if (fd >= 0) (void)close(fd);
    if (st != ND_OK) discard(idx);
    return st;
}

nd_status nd_index_open(const char *path, const nd_options *opt, int create, nd_index **out) {
    nd_status st = ND_OK;
    nd_options want;
    struct stat sb;
    if (!path || !out) return ND_ERR_INVALID;
    nd_index *idx = nd_calloc(1, sizeof *idx);
    if (!idx) return ND_ERR_NOMEM;
    *out = idx;
    idx->busy_ms = BUSY_MS;
    idx->tmp_fd = -1;
    if (!(idx->path = nd_strdup(path))) return fail(idx, ND_ERR_NOMEM, "out of memory");
    nd_options_default(&idx->opt);
    if (opt) ND_TRY(resolve_options(idx, opt, &want));
    if (create) {
        if (stat(path, &sb) == 0) return fail(idx, ND_ERR_STATE, "'%s' already exists", path);
        if (opt)
            idx->opt = want;
        else
            ND_TRY(resolve_options(idx, &idx->opt, &idx->opt));
    } else {
        if (stat(path, &sb) != 0)
            return fail(idx, ND_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        if (opt) idx->opt = want; /* compared fields are read from the index */
    }
    if (create) {
        ND_TRY(tmp_create(idx));
        st = db_open(idx, idx->tmp, 1);
        if (st == ND_OK) st = create_schema(idx);
        if (st != ND_OK) {
            discard(idx); /* no half-made index is left */
            return st;
        }
    } else {
        ND_TRY(db_open(idx, path, 0));
        ND_TRY(read_meta(idx, opt ? &want : NULL));
    }
    ND_TRY(sketch_setup(idx));
    idx->ok = 1;
    idx->msg[0] = '\0';
    return ND_OK;
}

void nd_index_close(nd_index *idx) {
    if (!idx) return;
    if (idx->tmp && idx->ok) /* a new index never written: it appears empty */
        (void)publish(idx);
    else if (idx->tmp)
        discard(idx);
    finalize_all(idx);
    if (idx->db) sqlite3_close_v2(idx->db);
    nd_shingler_release(&idx->wk.sa);
    nd_shingler_release(&idx->wk.sb);
    free(idx->wk.sig);
    nd_minhash_release(&idx->mh);
    nd_paratab_release(&idx->pt);
    free(idx->pend_ids);
    for (size_t b = 0; b < idx->nblocks; b++) free(idx->pend_keys[b]);
    free(idx->pend_keys);
    free(idx->own);
    free(idx->own2);
    free(idx->olook);
    free(idx->cand);
    free(idx->ent);
    free(idx->ent_tmp);
    free(idx->page);
    free(idx->ids);
    free(idx->segs);
    free(idx->nsets);
    free(idx->nparas);
    free(idx->look);
    free(idx->xent);
    free(idx->xrun);
    free(idx->fnew);
    free(idx->fslot);
    for (int r = 0; r < 2; r++) {
        for (size_t i = 0; i < idx->nrules[r]; i++) free(idx->rules[r][i]);
        free(idx->rules[r]);
    }
    free(idx->path);
    free(idx);
}

const char *nd_index_errmsg(const nd_index *idx) { return idx ? idx->msg : ""; }

nd_status nd_index_options(const nd_index *idx, nd_options *out) {
    if (!idx || !out) return ND_ERR_INVALID;
    if (!idx->ok) return ND_ERR_STATE;
    *out = idx->opt;
    return ND_OK;
}

nd_status nd_index_add_walk_rule(nd_index *idx, nd_walk_rule rule, const char *pattern) {
    if (!idx || !pattern || !pattern[0] || (rule != ND_WALK_INCLUDE && rule != ND_WALK_EXCLUDE))
        return ND_ERR_INVALID;
    size_t n = idx->nrules[rule], cap = n;
    char *copy = nd_strdup(pattern);
    if (!copy || ND_GROW(idx->rules[rule], cap, n + 1) != ND_OK) {
        free(copy);
        return ND_ERR_NOMEM;
    }
    idx->rules[rule][idx->nrules[rule]++] = copy;
    return ND_OK;
}

void nd_index_set_hidden(nd_index *idx, int hidden) {
    if (idx) idx->hidden = hidden != 0;
}

void nd_index_set_busy_timeout(nd_index *idx, unsigned ms) {
    if (!idx || !idx->db) return;
    idx->busy_ms = ms;
    sqlite3_busy_timeout(idx->db, ms > INT_MAX ? INT_MAX : (int)ms);
}

void nd_index_set_threads(nd_index *idx, unsigned threads) {
    if (idx) idx->opt.threads = threads;
}

void nd_index_set_diag(nd_index *idx, nd_diag_fn fn, void *user) {
    if (!idx) return;
    idx->diag = fn;
    idx->diag_user = user;
}

static nd_status usable(nd_index *idx) {
    if (!idx) return ND_ERR_INVALID;
    if (!idx->ok) return ND_ERR_STATE;
    idx->msg[0] = '\0';
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Band-key segments                                                         */
/* ------------------------------------------------------------------------ */

/* Entries a page holds (8 bytes each: 3,968 bytes, four to a 16 KiB
 * SQLite page, one to a 4 KiB page of an index made before); a page is
 * longer only to keep a run of equal keys whole. */
#define ND_PAGE_ENTRIES 496
/* New distinct paragraphs held before their entries are written as a
 * segment of their own (4 x (bands + 1) bytes each in memory). */
#define ND_PEND_MAX     ((size_t)1 << 20)
/* Pending distinct paragraphs a block of their band keys (pend_room). */
#define ND_PEND_BLOCK   ((size_t)1 << 16)
/* Owner entries held before they are written with the pending distinct
 * paragraphs as a segment (16 bytes each in memory). */
#define ND_OWN_MAX      ((size_t)4 << 20)
/* Segments beyond which the newest two are merged whatever their sizes. */
#define ND_SEGS_MAX     16

static nd_status scalar(nd_index *idx, const char *sql, int64_t *v);

/* Segments hold the `bands` LSH bands and, as band number `bands`, the
 * exact keys (their top 32 bits), by which an add finds a distinct
 * paragraph already indexed: the keys of a distinct paragraph (set_bands
 * of them).  Band number `bands` + 1 (own_band) holds the owner entries
 * (struct owner), 16 bytes each. */
static unsigned set_bands(const nd_index *idx) { return idx->opt.bands + 1; }

/* Pending distinct paragraph i's key in band j (pend_room made its room);
 * the next band's is ND_PEND_BLOCK further. */
static uint32_t *pend_key(const nd_index *idx, size_t i, unsigned j) {
    return idx->pend_keys[i / ND_PEND_BLOCK] + (size_t)j * ND_PEND_BLOCK + i % ND_PEND_BLOCK;
}

/* An owner entry: a paragraph of distinct paragraph `set` in document
 * `doc` at original offset `off` (16 bytes in a page: set, doc as 32 bits,
 * off as 64, little-endian). */
struct owner {
    uint64_t sd; /* set << 32 | doc */
    uint64_t off;
};
static unsigned own_band(const nd_index *idx) { return idx->opt.bands + 1; }
static unsigned seg_bands(const nd_index *idx) { return idx->opt.bands + 2; }

static uint32_t ekey32(const XXH128_hash_t *h) { return (uint32_t)(h->high64 >> 32); }

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Writes band `band` of segment seg from its entries e[0..n-1] (key << 32 |
 * set id, sorted) as pages. */
static nd_status pages_write(nd_index *idx, int64_t seg, unsigned band, const uint64_t *e,
                             size_t n) {
    sqlite3_stmt *s = NULL;
    for (size_t i = 0; i < n;) {
        size_t end = ND_MIN(n, i + ND_PAGE_ENTRIES);
        while (end < n && e[end] >> 32 == e[end - 1] >> 32) end++; /* a run stays whole */
        ND_TRY(ND_GROW(idx->page, idx->page_cap, (end - i) * 8));
        for (size_t k = i; k < end; k++) {
            put_le32(idx->page + 8 * (k - i), (uint32_t)(e[k] >> 32));
            put_le32(idx->page + 8 * (k - i) + 4, (uint32_t)e[k]);
        }
        ND_TRY(stmt(idx, S_PAGE_INS, &s));
        sqlite3_bind_int(s, 1, (int)band);
        sqlite3_bind_int64(s, 2, seg);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)(e[i] >> 32));
        sqlite3_bind_blob(s, 4, idx->page, (int)((end - i) * 8), SQLITE_STATIC);
        ND_TRY(step_done(idx, s));
        i = end;
    }
    return ND_OK;
}

/* Room for n entries of a band (and the sort's scratch). */
static nd_status entries_room(nd_index *idx, size_t n) {
    ND_TRY(ND_GROW(idx->ent, idx->ent_cap, n ? n : 1));
    return ND_GROW(idx->ent_tmp, idx->tmp_cap, n ? n : 1);
}

static int cmp_owner(const void *a, const void *b) {
    const struct owner *x = a, *y = b;
    if (x->sd != y->sd) return x->sd < y->sd ? -1 : 1;
    return (x->off > y->off) - (x->off < y->off);
}

/* Sorts owner entries e[0..n) into idx->own2 by (set, doc, off) and drops
 * repeats; their number.  Entries made in (doc, off) order - a write's,
 * whose documents get ascending ids - need only a stable sort by set (a
 * radix sort of set << 32 | position); others are sorted whole. */
static nd_status own_sort(nd_index *idx, const struct owner *e, size_t n, size_t *out) {
    size_t m = 0;
    int in_order = n <= UINT32_MAX;
    ND_TRY(ND_GROW(idx->own2, idx->own2_cap, n ? n : 1));
    ND_TRY(entries_room(idx, n));
    for (size_t i = 1; i < n && in_order; i++)
        in_order = (uint32_t)e[i].sd > (uint32_t)e[i - 1].sd ||
                   ((uint32_t)e[i].sd == (uint32_t)e[i - 1].sd && e[i].off > e[i - 1].off);
    if (in_order) {
        for (size_t i = 0; i < n; i++) idx->ent[i] = (e[i].sd >> 32) << 32 | (uint64_t)i;
        nd_sort_hi32(idx->ent, idx->ent_tmp, n); /* stable: positions ascend */
        for (size_t i = 0; i < n; i++) idx->own2[i] = e[(uint32_t)idx->ent[i]];
    } else {
        if (n) memmove(idx->own2, e, n * sizeof *e);
        qsort(idx->own2, n, sizeof *idx->own2, cmp_owner);
    }
    for (size_t i = 0; i < n; i++)
        if (!m || cmp_owner(&idx->own2[i], &idx->own2[m - 1]) != 0) idx->own2[m++] = idx->own2[i];
    *out = m;
    return ND_OK;
}

static void put_le64(uint8_t *p, uint64_t v) {
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Writes the owner band of segment seg from e[0..n) (sorted) as pages of
 * up to ND_PAGE_ENTRIES / 2 entries of 16 bytes, a set's run never cut. */
static nd_status own_pages_write(nd_index *idx, int64_t seg, const struct owner *e, size_t n) {
    sqlite3_stmt *s = NULL;
    for (size_t i = 0; i < n;) {
        size_t end = ND_MIN(n, i + ND_PAGE_ENTRIES / 2);
        while (end < n && e[end].sd >> 32 == e[end - 1].sd >> 32) end++;
        ND_TRY(ND_GROW(idx->page, idx->page_cap, (end - i) * 16));
        for (size_t k = i; k < end; k++) {
            uint8_t *b = idx->page + 16 * (k - i);
            put_le32(b, (uint32_t)(e[k].sd >> 32));
            put_le32(b + 4, (uint32_t)e[k].sd);
            put_le64(b + 8, e[k].off);
        }
        ND_TRY(stmt(idx, S_PAGE_INS, &s));
        sqlite3_bind_int(s, 1, (int)own_band(idx));
        sqlite3_bind_int64(s, 2, seg);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)(e[i].sd >> 32));
        sqlite3_bind_blob(s, 4, idx->page, (int)((end - i) * 16), SQLITE_STATIC);
        ND_TRY(step_done(idx, s));
        i = end;
    }
    return ND_OK;
}

/* Decodes page b (len bytes) of owner entries, appended to *v (*n, *cap);
 * with want != UINT32_MAX only those of set `want`. */
static nd_status own_decode(nd_index *idx, const uint8_t *b, size_t len, uint32_t want,
                            struct owner **v, size_t *n, size_t *cap) {
    size_t m = len / 16, lo = 0;
    if (len % 16 || !b)
        return fail(idx, ND_ERR_FORMAT, "'%s': an owner page is damaged", idx->path);
    if (want != UINT32_MAX) { /* the first entry whose set is >= want */
        size_t hi = m;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (le32(b + 16 * mid) < want)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    for (size_t k = lo; k < m; k++) {
        const uint8_t *e = b + 16 * k;
        if (want != UINT32_MAX && le32(e) != want) break;
        ND_TRY(ND_GROW(*v, *cap, *n + 1));
        (*v)[(*n)++] = (struct owner){(uint64_t)le32(e) << 32 | le32(e + 4), le64(e + 8)};
    }
    return ND_OK;
}

/* Appends the owner entries of segment seg to *v (*n, *cap). */
static nd_status own_load(nd_index *idx, int64_t seg, struct owner **v, size_t *n, size_t *cap) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    ND_TRY(stmt(idx, S_PAGE_BAND, &s));
    sqlite3_bind_int(s, 1, (int)own_band(idx));
    sqlite3_bind_int64(s, 2, seg);
    while ((r = step_row(idx, s, &st)) == 1) {
        st = own_decode(idx, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                        UINT32_MAX, v, n, cap);
        if (st != ND_OK) {
            sqlite3_reset(s);
            return st;
        }
    }
    return r < 0 ? st : ND_OK;
}

/* The owner entries of distinct paragraph `set` in the segments of
 * idx->segs, sorted by (doc, off), each once: into idx->olook (*n). */
static nd_status own_lookup(nd_index *idx, uint32_t set, size_t *n) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    *n = 0;
    for (size_t g = 0; g < idx->nsegs; g++) {
        ND_TRY(stmt(idx, S_PAGE_FIND, &s));
        sqlite3_bind_int(s, 1, (int)own_band(idx));
        sqlite3_bind_int64(s, 2, idx->segs[g]);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)set);
        int r = step_row(idx, s, &st);
        if (r < 0) return st;
        if (r == 1)
            st = own_decode(idx, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), set,
                            &idx->olook, n, &idx->olook_cap);
        sqlite3_reset(s);
        ND_TRY(st);
    }
    if (idx->nsegs > 1) { /* one segment's are sorted already */
        size_t m = 0;
        qsort(idx->olook, *n, sizeof *idx->olook, cmp_owner);
        for (size_t i = 0; i < *n; i++)
            if (!m || cmp_owner(&idx->olook[i], &idx->olook[m - 1]) != 0)
                idx->olook[m++] = idx->olook[i];
        *n = m;
    }
    return ND_OK;
}

/* Writes the pending distinct paragraphs' band keys and exact keys, and
 * the pending owner entries, as a new segment. */
static nd_status seg_flush(nd_index *idx) {
    sqlite3_stmt *s = NULL;
    const size_t n = idx->npend;
    const unsigned bands = set_bands(idx);
    size_t m = 0;
    if (!n && !idx->nown) return ND_OK;
    ND_TRY(own_sort(idx, idx->own, idx->nown, &m));
    ND_TRY(entries_room(idx, n));
    ND_TRY(stmt(idx, S_SEG_INS, &s));
    sqlite3_bind_int64(s, 1, (sqlite3_int64)(n * bands));
    sqlite3_bind_int64(s, 2, (sqlite3_int64)m);
    ND_TRY(step_done(idx, s));
    int64_t seg = sqlite3_last_insert_rowid(idx->db);
    for (unsigned j = 0; j < bands && n; j++) {
        for (size_t i = 0; i < n; i++)
            idx->ent[i] = (uint64_t)*pend_key(idx, i, j) << 32 | idx->pend_ids[i];
        nd_sort_hi32(idx->ent, idx->ent_tmp, n); /* stable: ids ascend already */
        ND_TRY(pages_write(idx, seg, j, idx->ent, n));
    }
    ND_TRY(own_pages_write(idx, seg, idx->own2, m));
    idx->npend = 0;
    idx->nown = 0;
    return ND_OK;
}

/* Appends the entries of band `band` of segment seg to idx->ent[*n...]. */
static nd_status band_load(nd_index *idx, int64_t seg, unsigned band, size_t *n) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    ND_TRY(stmt(idx, S_PAGE_BAND, &s));
    sqlite3_bind_int(s, 1, (int)band);
    sqlite3_bind_int64(s, 2, seg);
    while ((r = step_row(idx, s, &st)) == 1) {
        const uint8_t *b = sqlite3_column_blob(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0), m = len / 8;
        if (len % 8 || !b) {
            sqlite3_reset(s);
            return fail(idx, ND_ERR_FORMAT, "'%s': a band-key page of segment %lld is damaged",
                        idx->path, (long long)seg);
        }
        st = ND_GROW(idx->ent, idx->ent_cap, *n + m); /* (a sort's scratch: entries_room) */
        if (st != ND_OK) {
            sqlite3_reset(s);
            return st;
        }
        for (size_t k = 0; k < m; k++)
            idx->ent[(*n)++] = (uint64_t)le32(b + 8 * k) << 32 | le32(b + 8 * k + 4);
    }
    return r < 0 ? st : ND_OK;
}

/* The dead set ids, sorted, into idx->ids (*n of them). */
static nd_status dead_load(nd_index *idx, size_t *n) {
    sqlite3_stmt *s = NULL;
    *n = 0;
    int rc = sqlite3_prepare_v2(idx->db, "SELECT sset FROM dead ORDER BY sset", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    nd_status st = ND_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((st = ND_GROW(idx->ids, idx->ids_cap, *n + 1)) != ND_OK) break;
        idx->ids[(*n)++] = sqlite3_column_int64(s, 0);
    }
    if (st == ND_OK && rc != SQLITE_DONE) st = db_fail(idx, rc);
    sqlite3_finalize(s);
    return st;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first of v[0 .. n) (ascending) not below x, or n. */
static size_t i64_lower(const int64_t *v, size_t n, int64_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_dead(const int64_t *dead, size_t n, int64_t id) {
    size_t lo = i64_lower(dead, n, id);
    return lo < n && dead[lo] == id;
}

/* The ids of the documents in the index, ascending, into *v (*n). */
static nd_status docs_load(nd_index *idx, int64_t **v, size_t *n, size_t *cap) {
    sqlite3_stmt *s = NULL;
    *n = 0;
    int rc = sqlite3_prepare_v2(idx->db, "SELECT id FROM docs ORDER BY id", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    nd_status st = ND_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((st = ND_GROW(*v, *cap, *n + 1)) != ND_OK) break;
        (*v)[(*n)++] = sqlite3_column_int64(s, 0);
    }
    if (st == ND_OK && rc != SQLITE_DONE) st = db_fail(idx, rc);
    sqlite3_finalize(s);
    return st;
}

/* Merges segment b into segment a (a < b; b = 0: a alone): per band,
 * both segments' entries less those of dead sets, sorted, rewritten under
 * a; b is deleted.  The owner band also loses the entries of documents no
 * longer in the index.  last: no other segment is left, so nothing refers
 * to the dead sets any more and their list is emptied. */
static nd_status seg_merge(nd_index *idx, int64_t a, int64_t b, int last) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    size_t ndead = 0, ndocs = 0, docs_cap = 0;
    int64_t *docs = NULL;
    uint64_t total = 0, owners = 0;
    ND_TRY(dead_load(idx, &ndead));
    ND_CHECK(docs_load(idx, &docs, &ndocs, &docs_cap));
    for (unsigned j = 0; j < seg_bands(idx); j++) {
        size_t n = 0, m = 0;
        if (j == own_band(idx)) { /* (a write's pending entries are written: own is free) */
            idx->nown = 0;
            ND_CHECK(own_load(idx, a, &idx->own, &n, &idx->own_cap));
            if (b) ND_CHECK(own_load(idx, b, &idx->own, &n, &idx->own_cap));
            for (size_t i = 0; i < n; i++) {
                uint64_t x = idx->own[i].sd;
                idx->own[m] = idx->own[i];
                m += !is_dead(idx->ids, ndead, (int64_t)(x >> 32)) &&
                     is_dead(docs, ndocs, (int64_t)(uint32_t)x); /* its document is there */
            }
            ND_CHECK(own_sort(idx, idx->own, m, &owners));
        } else {
            ND_CHECK(band_load(idx, a, j, &n));
            if (b) ND_CHECK(band_load(idx, b, j, &n));
            for (size_t i = 0; i < n; i++) {
                idx->ent[m] = idx->ent[i];
                m += !is_dead(idx->ids, ndead, (int64_t)(uint32_t)idx->ent[i]);
            }
            /* stable by key: a's ids are all below b's (segments are
             * written in id order), so the entries end in (key, id) order */
            ND_CHECK(entries_room(idx, m));
            nd_sort_hi32(idx->ent, idx->ent_tmp, m);
            total += m;
        }
        for (int k = 0; k < (b ? 2 : 1); k++) {
            ND_CHECK(stmt(idx, S_PAGE_DEL, &s));
            sqlite3_bind_int(s, 1, (int)j);
            sqlite3_bind_int64(s, 2, k ? b : a);
            ND_CHECK(step_done(idx, s));
        }
        if (j == own_band(idx))
            ND_CHECK(own_pages_write(idx, a, idx->own2, owners));
        else
            ND_CHECK(pages_write(idx, a, j, idx->ent, m));
    }
    ND_CHECK(stmt(idx, S_SEG_SET, &s));
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)total);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)owners);
    ND_CHECK(step_done(idx, s));
    if (b) {
        ND_TRY(stmt(idx, S_SEG_DEL, &s));
        sqlite3_bind_int64(s, 1, b);
        ND_TRY(step_done(idx, s));
    }
    if (last) ND_CHECK(exec(idx, "DELETE FROM dead"));
out:
    free(docs);
    return st;
}

/* The segments, oldest first: ids into idx->segs, and their entries into
 * ent (when not NULL, at least idx->nsegs long). */
static nd_status segs_list(nd_index *idx, int64_t *entries, size_t room) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    idx->nsegs = 0;
    ND_TRY(stmt(idx, S_SEG_LIST, &s));
    while ((r = step_row(idx, s, &st)) == 1) {
        st = ND_GROW(idx->segs, idx->segs_cap, idx->nsegs + 1);
        if (st != ND_OK) {
            sqlite3_reset(s);
            return st;
        }
        if (entries && idx->nsegs < room) entries[idx->nsegs] = sqlite3_column_int64(s, 1);
        idx->segs[idx->nsegs++] = sqlite3_column_int64(s, 0);
    }
    return r < 0 ? st : ND_OK;
}

/* Keeps the segments few (the logarithmic method, as a binary counter): the
 * newest is merged into the one before it while it is at least as large,
 * or while there are more than ND_SEGS_MAX; so sizes halve at least from
 * the oldest to the newest, there are at most log2 of the entries
 * segments, and an entry is rewritten at most log2 times. */
static nd_status seg_compact(nd_index *idx) {
    for (;;) {
        int64_t ent[ND_SEGS_MAX + 2];
        ND_TRY(segs_list(idx, ent, ND_SEGS_MAX + 2));
        size_t c = idx->nsegs;
        if (c < 2) return ND_OK;
        if (c <= ND_SEGS_MAX && ent[c - 1] < ent[c - 2]) return ND_OK;
        ND_TRY(seg_merge(idx, idx->segs[c - 2], idx->segs[c - 1], c == 2));
    }
}

/* After a removal: when the dead sets' entries are a quarter of all or
 * more, every segment is merged into one without them (a query reads them
 * only to find their sets gone). */
static nd_status seg_purge(nd_index *idx) {
    int64_t ent[ND_SEGS_MAX + 2], ndead = 0;
    ND_TRY(scalar(idx, "SELECT count(*) FROM dead", &ndead));
    if (!ndead) return ND_OK;
    ND_TRY(segs_list(idx, ent, ND_SEGS_MAX + 2));
    uint64_t total = 0;
    for (size_t g = 0; g < idx->nsegs && g < ND_SEGS_MAX + 2; g++) total += (uint64_t)ent[g];
    if (idx->nsegs == 0) return exec(idx, "DELETE FROM dead");
    if ((uint64_t)ndead * set_bands(idx) * 4 < total) return ND_OK;
    const size_t n = idx->nsegs;
    if (n == 1) return seg_merge(idx, idx->segs[0], 0, 1);
    int64_t first = idx->segs[0];
    for (size_t g = 1; g < n; g++) {
        ND_TRY(segs_list(idx, NULL, 0)); /* seg_merge reuses idx->segs */
        ND_TRY(seg_merge(idx, first, idx->segs[1], g == n - 1));
    }
    return ND_OK;
}

/* The distinct paragraphs whose band `band` key is `key`, from the page of
 * each segment that holds it, appended to *out (*n, *cap). */
static nd_status band_lookup(nd_index *idx, unsigned band, uint32_t key, int64_t **out, size_t *n,
                             size_t *cap) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    for (size_t g = 0; g < idx->nsegs; g++) {
        ND_TRY(stmt(idx, S_PAGE_FIND, &s));
        sqlite3_bind_int(s, 1, (int)band);
        sqlite3_bind_int64(s, 2, idx->segs[g]);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)key);
        int r = step_row(idx, s, &st);
        if (r < 0) return st;
        if (r == 0) continue;
        const uint8_t *b = sqlite3_column_blob(s, 0);
        size_t m = (size_t)sqlite3_column_bytes(s, 0) / 8, lo = 0, hi = m;
        while (b && lo < hi) { /* the first entry whose key is >= key */
            size_t mid = lo + (hi - lo) / 2;
            if (le32(b + 8 * mid) < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; b && lo < m && le32(b + 8 * lo) == key; lo++) {
            st = ND_GROW(*out, *cap, *n + 1);
            if (st != ND_OK) break;
            (*out)[(*n)++] = (int64_t)le32(b + 8 * lo + 4);
        }
        sqlite3_reset(s);
        ND_TRY(st);
    }
    return ND_OK;
}

/* Before a write's lookups of exact keys: how many are answered by probes
 * of the segments (band_lookup: per segment, a descent of pages_at and of
 * pages, whose database pages - 16 KiB each - are read for the one row)
 * before the segments' exact keys are read whole instead (exact_load: one
 * pass over their rows, 2,048 entries a database page).  A probe reads
 * about two database pages the pass would not, so after entries / 4,096
 * probes (64 at least) the rest are answered from memory: an add of a few
 * documents probes, a large one reads the keys once (1 GB Chinese, an add
 * of 1 %: 21,277 lookups in 2,075,106 keys). */
static nd_status exact_start(nd_index *idx) {
    int64_t total = 0;
    idx->xheld = 0;
    idx->xlooks = 0;
    ND_TRY(scalar(idx, "SELECT coalesce(sum(entries), 0) FROM segs", &total));
    idx->xtotal = (size_t)(total / set_bands(idx));
    idx->xwant = ND_MAX((size_t)64, idx->xtotal / 4096);
    return ND_OK;
}

/* Reads the exact keys of the segments in idx->segs (the write's first)
 * into idx->xent: segment after segment, each sorted by (key, id) as
 * stored, so that searching them in that order gives a key's ids in the
 * order band_lookup does. */
static nd_status exact_load(nd_index *idx) {
    size_t n = 0;
    ND_TRY(ND_GROW(idx->xrun, idx->xrun_cap, idx->nsegs + 1));
    /* one array of them all (the segments' counts), not one grown by
     * copies: 2 M keys, 16 MB, at 1 GB */
    ND_TRY(ND_GROW(idx->ent, idx->ent_cap, idx->xtotal ? idx->xtotal : 1));
    for (size_t g = 0; g < idx->nsegs; g++) {
        idx->xrun[g] = n;
        ND_TRY(band_load(idx, idx->segs[g], idx->opt.bands, &n));
    }
    idx->xrun[idx->nsegs] = n;
    free(idx->xent); /* the band's array becomes xent; seg_flush makes another */
    idx->xent = idx->ent;
    idx->ent = NULL;
    idx->ent_cap = 0;
    idx->xheld = 1;
    return ND_OK;
}

/* The distinct paragraphs of the write's first segments whose exact key's
 * top 32 bits are `key`, appended to *out (*n, *cap): band_lookup of band
 * `bands`, or the same ids in the same order from idx->xent. */
static nd_status exact_lookup(nd_index *idx, uint32_t key, int64_t **out, size_t *n, size_t *cap) {
    if (!idx->xheld && ++idx->xlooks >= idx->xwant) ND_TRY(exact_load(idx));
    if (!idx->xheld) return band_lookup(idx, idx->opt.bands, key, out, n, cap);
    for (size_t g = 0; g < idx->nsegs; g++) {
        /* entries are key << 32 | id: the first of key's is the first >= key << 32 */
        size_t end = idx->xrun[g + 1];
        size_t lo = nd_lower_u64(idx->xent, idx->xrun[g], end, (uint64_t)key << 32);
        for (; lo < end && (uint32_t)(idx->xent[lo] >> 32) == key; lo++) {
            ND_TRY(ND_GROW(*out, *cap, *n + 1));
            (*out)[(*n)++] = (int64_t)(uint32_t)idx->xent[lo];
        }
    }
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* A file as it is on disk: its identity, size, modification time and
 * content hash. */
typedef struct file_seen {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
    uint8_t hash[16];
} file_seen;

static int64_t stat_mtime(const struct stat *sb) {
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + (int64_t)sb->st_mtim.tv_nsec;
}

static void hash_bytes(const XXH128_hash_t *h, uint8_t out[16]) {
    nd_store_le64(out, h->high64);
    nd_store_le64(out + 8, h->low64);
}

/* Reads path whole and hashes it (XXH3-128), checking that it did not
 * change meanwhile.  0, or an errno (ESTALE: it changed). */
static int hash_file(const char *path, file_seen *f) {
    struct stat a, b;
    uint8_t buf[1 << 16];
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = 0;
    XXH3_state_t *xs = XXH3_createState();
    if (!xs) {
        (void)close(fd);
        return ENOMEM;
    }
    uint64_t got = 0;
    if (fstat(fd, &a) != 0) {
        err = errno;
        goto out;
    }
    XXH3_128bits_reset(xs);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno;
            goto out;
        }
        if (n == 0) break;
        XXH3_128bits_update(xs, buf, (size_t)n);
        got += (uint64_t)n;
    }
    if (fstat(fd, &b) != 0) {
        err = errno;
        goto out;
    }
    if (got != (uint64_t)a.st_size || a.st_size != b.st_size || stat_mtime(&a) != stat_mtime(&b)) {
        err = ESTALE;
        goto out;
    }
    XXH128_hash_t h = XXH3_128bits_digest(xs);
    hash_bytes(&h, f->hash);
    f->dev = (uint64_t)a.st_dev;
    f->ino = (uint64_t)a.st_ino;
    f->size = (uint64_t)a.st_size;
    f->mtime_ns = stat_mtime(&a);
out:
    XXH3_freeState(xs);
    (void)close(fd);
    return err;
}

static void report(nd_index *idx, nd_input_cfg *cfg, const char *path, nd_status st, int err,
                   const char *detail) {
    cfg->skipped++;
    if (!idx->diag) return;
    nd_diag dg = {.path = path, .status = st, .sys_errno = err, .detail = detail};
    idx->diag(idx->diag_user, &dg);
}

/* Deletes the documents and paragraphs of file fid; their distinct
 * paragraphs become candidates for removal (idx->cand), which sets_reap
 * decides on once the write's paragraphs are all in. */
static nd_status delete_file_rows(nd_index *idx, int64_t fid) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    ND_TRY(stmt(idx, S_FSETS, &s));
    sqlite3_bind_int64(s, 1, fid);
    int r;
    while ((r = step_row(idx, s, &st)) == 1) {
        if (ND_GROW(idx->cand, idx->cand_cap, idx->ncand + 1) != ND_OK) {
            sqlite3_reset(s);
            return ND_ERR_NOMEM;
        }
        idx->cand[idx->ncand++] = sqlite3_column_int64(s, 0);
    }
    if (r < 0) return st;
    ND_TRY(stmt(idx, S_PARA_DEL, &s));
    sqlite3_bind_int64(s, 1, fid);
    ND_TRY(step_done(idx, s));
    ND_TRY(stmt(idx, S_DOC_DEL, &s));
    sqlite3_bind_int64(s, 1, fid);
    return step_done(idx, s);
}

/* Is distinct paragraph id used by a paragraph?  Its owner entries in the
 * segments (all of them: the write's own are flushed first) name the
 * paragraphs that may be; one that still is decides. */
static nd_status set_used(nd_index *idx, int64_t id, int *used) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    size_t n = 0;
    *used = 0;
    ND_TRY(own_lookup(idx, (uint32_t)id, &n));
    for (size_t i = 0; i < n && !*used; i++) {
        ND_TRY(stmt(idx, S_SET_USED, &s));
        sqlite3_bind_int64(s, 1, (sqlite3_int64)(uint32_t)idx->olook[i].sd);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)idx->olook[i].off);
        sqlite3_bind_int64(s, 3, id);
        int r = step_row(idx, s, &st);
        if (r < 0) return st;
        sqlite3_reset(s);
        *used = r == 1;
    }
    return ND_OK;
}

/* Removes the candidates of delete_file_rows that no paragraph uses any
 * more, at the end of a write (after its segment is written): their ids
 * are listed as dead, since their keys stay in the segments until a merge
 * drops them.  A candidate that a paragraph of the same write uses again
 * stays. */
static nd_status sets_reap(nd_index *idx) {
    sqlite3_stmt *s = NULL;
    size_t n = idx->ncand, m = 0;
    if (!n) return ND_OK;
    qsort(idx->cand, n, sizeof *idx->cand, cmp_i64);
    ND_TRY(segs_list(idx, NULL, 0));
    for (size_t i = 0; i < n; i++) {
        int64_t id = idx->cand[i];
        int used = 0;
        if (m && idx->cand[m - 1] == id) continue;
        idx->cand[m++] = id;
        ND_TRY(set_used(idx, id, &used));
        if (used) continue;
        ND_TRY(stmt(idx, S_DEAD_INS, &s));
        sqlite3_bind_int64(s, 1, id);
        ND_TRY(step_done(idx, s));
        ND_TRY(stmt(idx, S_SET_DEL, &s));
        sqlite3_bind_int64(s, 1, id);
        ND_TRY(step_done(idx, s));
    }
    idx->ncand = 0;
    return ND_OK;
}

/* A distinct paragraph added by the current write: its exact key, and its
 * text's length and hash.  They are kept in the order added (idx->fnew),
 * and the table of slots holds 8 bytes a slot - an index into them and 32
 * bits of the key, which most probes of another key stop at - so that the
 * table a write of 2 M new sets walks at random is 32 MB, not 128 (1 GB
 * Chinese: its growth and clearing were page faults and memsets of 256
 * MB on the writer thread). */
struct newset {
    uint64_t hi, lo;
    uint64_t thash; /* its text's XXH3-64, to tell a copy's bytes apart */
    uint32_t tlen;  /* and bytes (below 2^32: max_paragraph_bytes) */
};

static uint64_t fresh_tag(uint64_t hi) { return hi << 32; }

/* The slot of exact key (hi, lo) in idx->fslot: where it is, or the empty
 * slot where it goes. */
static size_t fresh_slot(const nd_index *idx, uint64_t hi, uint64_t lo) {
    size_t mask = idx->fresh_cap - 1, i = (size_t)(lo ^ (hi >> 17)) & mask;
    const uint64_t tag = fresh_tag(hi);
    for (;; i = (i + 1) & mask) {
        uint64_t v = idx->fslot[i];
        if (!v) return i;
        if ((v & ~(uint64_t)UINT32_MAX) == tag) {
            const struct newset *e = &idx->fnew[(uint32_t)v - 1];
            if (e->hi == hi && e->lo == lo) return i;
        }
    }
}

/* Asks for the slot of exact key k ahead of its lookup (its line is a
 * cache miss in a table of some megabytes). */
static void fresh_prefetch(const nd_index *idx, const XXH128_hash_t *k) {
#if defined(__GNUC__)
    if (idx->fresh_cap)
        __builtin_prefetch(
            &idx->fslot[(size_t)(k->low64 ^ (k->high64 >> 17)) & (idx->fresh_cap - 1)]);
#else
    (void)idx;
    (void)k;
#endif
}

/* Room for one more new set: in idx->fnew, and in the slots at a load of
 * at most a half (the slots made again from idx->fnew when they grow). */
static nd_status fresh_room(nd_index *idx) {
    if (idx->fresh_n >= UINT32_MAX - 1) return ND_ERR_NOMEM;
    ND_TRY(ND_GROW(idx->fnew, idx->fnew_cap, idx->fresh_n + 1));
    if (2 * (idx->fresh_n + 1) <= idx->fresh_cap) return ND_OK;
    size_t cap = idx->fresh_cap ? 2 * idx->fresh_cap : 4096;
    uint64_t *slots = nd_calloc(cap, sizeof *slots);
    if (!slots) return ND_ERR_NOMEM;
    free(idx->fslot);
    idx->fslot = slots;
    idx->fresh_cap = cap;
    for (size_t k = 0; k < idx->fresh_n; k++) {
        const struct newset *e = &idx->fnew[k];
        idx->fslot[fresh_slot(idx, e->hi, e->lo)] = fresh_tag(e->hi) | (uint64_t)(k + 1);
    }
    return ND_OK;
}

/* Forgets this write's new sets (at its end, or when a file's were rolled
 * back: the write then looks every key up in the database, where the
 * sets it kept are). */
static void fresh_clear(nd_index *idx) {
    if (idx->fresh_n) memset(idx->fslot, 0, idx->fresh_cap * sizeof *idx->fslot);
    idx->fresh_n = 0;
}

/* A new distinct paragraph waiting for its row: id, exact key and text
 * (in the reader's buffer); its band keys wait in idx->pend_keys for the
 * segment, the only place they are stored. */
struct setrow {
    uint32_t id;
    uint8_t kb[16];
    const uint8_t *text;
    size_t len;
};

/* A paragraph waiting for its row (sset 0: none). */
struct pararow {
    int64_t doc;
    uint64_t off, len;
    uint32_t line, chars;
    int64_t sset;
    const uint8_t *text; /* its own text (in the reader's buffer), or NULL: */
    size_t tlen;         /* its set's text is its bytes */
};

#define ROWS_SETS  16
#define ROWS_PARAS 64

/* The multi-row insert k (0: ROWS_SETS sets, 1: ROWS_PARAS paragraphs),
 * prepared once per handle. */
static nd_status rows_stmt(nd_index *idx, int k, sqlite3_stmt **out) {
    if (!idx->rows[k]) {
        char sql[4096];
        const char *head = k ? "INSERT INTO paras(doc, off, len, line, chars, sset, text) VALUES"
                             : "INSERT INTO sets(id, ekey, text) VALUES";
        const char *one = k ? "(?,?,?,?,?,?,?)" : "(?,?,?)";
        int n = k ? ROWS_PARAS : ROWS_SETS;
        size_t at = (size_t)snprintf(sql, sizeof sql, "%s", head);
        for (int i = 0; i < n && at < sizeof sql; i++)
            at += (size_t)snprintf(sql + at, sizeof sql - at, "%s%s", i ? "," : "", one);
        int rc =
            sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &idx->rows[k], NULL);
        if (rc != SQLITE_OK) return db_fail(idx, rc);
    }
    sqlite3_reset(idx->rows[k]);
    sqlite3_clear_bindings(idx->rows[k]);
    *out = idx->rows[k];
    return ND_OK;
}

/* Binds set row r as columns from parameter `at` on. */
static void bind_set(sqlite3_stmt *s, int at, const struct setrow *r) {
    sqlite3_bind_int64(s, at, r->id);
    sqlite3_bind_blob(s, at + 1, r->kb, 16, SQLITE_STATIC);
    sqlite3_bind_blob(s, at + 2, r->len ? (const void *)r->text : "", (int)r->len, SQLITE_STATIC);
}

static void bind_para(sqlite3_stmt *s, int at, const struct pararow *r) {
    sqlite3_bind_int64(s, at, r->doc);
    sqlite3_bind_int64(s, at + 1, (sqlite3_int64)r->off);
    sqlite3_bind_int64(s, at + 2, (sqlite3_int64)r->len);
    sqlite3_bind_int64(s, at + 3, r->line);
    sqlite3_bind_int64(s, at + 4, r->chars);
    if (r->sset)
        sqlite3_bind_int64(s, at + 5, r->sset);
    else
        sqlite3_bind_null(s, at + 5);
    if (r->text)
        sqlite3_bind_blob(s, at + 6, r->tlen ? (const void *)r->text : "", (int)r->tlen,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(s, at + 6);
}

/* Writes the current document's waiting rows: its new distinct paragraphs,
 * then its paragraphs, ROWS_SETS and ROWS_PARAS a statement (one
 * statement a row cost SQLite about 1,850 instructions of statement end
 * alone, callgrind). */
static nd_status rows_flush(nd_index *idx) {
    sqlite3_stmt *s = NULL;
    size_t i = 0;
    for (; i + ROWS_SETS <= idx->nnsets; i += ROWS_SETS) {
        ND_TRY(rows_stmt(idx, 0, &s));
        for (int r = 0; r < ROWS_SETS; r++) bind_set(s, 1 + 3 * r, &idx->nsets[i + r]);
        ND_TRY(step_done(idx, s));
    }
    for (; i < idx->nnsets; i++) {
        ND_TRY(stmt(idx, S_SET_INS, &s));
        bind_set(s, 1, &idx->nsets[i]);
        ND_TRY(step_done(idx, s));
    }
    for (i = 0; i + ROWS_PARAS <= idx->nnparas; i += ROWS_PARAS) {
        ND_TRY(rows_stmt(idx, 1, &s));
        for (int r = 0; r < ROWS_PARAS; r++) bind_para(s, 1 + 7 * r, &idx->nparas[i + r]);
        ND_TRY(step_done(idx, s));
    }
    for (; i < idx->nnparas; i++) {
        ND_TRY(stmt(idx, S_PARA_INS, &s));
        bind_para(s, 1, &idx->nparas[i]);
        ND_TRY(step_done(idx, s));
    }
    idx->nnsets = idx->nnparas = 0;
    return ND_OK;
}

/* Room for one more pending distinct paragraph's band keys: a new block of
 * ND_PEND_BLOCK rows when the last is full.  The blocks stay for the next
 * segment and are freed with the handle.  One array doubled and copied
 * band by band was 5 % of the writer's samples of `index create` (100 MB
 * Chinese), the copies and the fresh pages of every doubling. */
static nd_status pend_room(nd_index *idx) {
    const size_t sb = set_bands(idx);
    if (idx->npend < idx->nblocks * ND_PEND_BLOCK) return ND_OK;
    ND_TRY(ND_GROW(idx->pend_keys, idx->blocks_cap, idx->nblocks + 1));
    if (!(idx->pend_keys[idx->nblocks] = nd_mallocn(ND_PEND_BLOCK * sb, sizeof(uint32_t))))
        return ND_ERR_NOMEM;
    idx->nblocks++;
    return ND_OK;
}

/* The distinct paragraph of a clusterable paragraph (text[0..len-1], exact
 * key ekey, band keys keys, th the XXH3-64 of its bytes): found by its key,
 * or added with its text and band keys, which wait in idx->pend_* for the
 * write's segment.  *id receives its row id, *same 1 when the set's text is
 * these very bytes (else the paragraph keeps its own text: paras.text). */
static nd_status set_of(nd_index *idx, const XXH128_hash_t *ekey, const uint32_t *keys,
                        const uint8_t *text, size_t len, uint64_t th, int64_t *id, int *same) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    uint8_t kb[16];
    hash_bytes(ekey, kb);
    ND_TRY(fresh_room(idx));
    size_t slot = fresh_slot(idx, ekey->high64, ekey->low64);
    *same = 1;
    if (idx->fslot[slot]) { /* added by this write already */
        const size_t k = (uint32_t)idx->fslot[slot] - 1;
        *id = (int64_t)idx->fresh_base + (int64_t)k;
        *same = idx->fnew[k].tlen == len && idx->fnew[k].thash == th;
        return ND_OK;
    }
    if (idx->had_sets) { /* an index that was empty needs no lookup */
        size_t n = 0;
        ND_TRY(exact_lookup(idx, ekey32(ekey), &idx->look, &n, &idx->look_cap));
        for (size_t c = 0; c < n; c++) { /* the same top 32 bits: compare all 128 */
            ND_TRY(stmt(idx, S_SET_GET, &s));
            sqlite3_bind_int64(s, 1, idx->look[c]);
            int r = step_row(idx, s, &st);
            if (r < 0) return st;
            int hit = r == 1 && sqlite3_column_bytes(s, 0) == 16 &&
                      memcmp(sqlite3_column_blob(s, 0), kb, 16) == 0;
            sqlite3_reset(s);
            if (hit) { /* a dead id has no row: never the same */
                *id = idx->look[c];
                ND_TRY(stmt(idx, S_SET_TEXT, &s)); /* its bytes, or a copy's? */
                sqlite3_bind_int64(s, 1, *id);
                if ((r = step_row(idx, s, &st)) < 0) return st;
                *same = r == 1 && (size_t)sqlite3_column_bytes(s, 0) == len &&
                        (len == 0 || memcmp(sqlite3_column_blob(s, 0), text, len) == 0);
                sqlite3_reset(s);
                return ND_OK;
            }
        }
    }
    const unsigned bands = idx->opt.bands;
    if (len > INT_MAX) return fail(idx, ND_ERR_NOMEM, "a paragraph is too long to index");
    if (idx->next_set == 0 || idx->next_set == UINT32_MAX)
        return fail(idx, ND_ERR_NOMEM, "'%s' holds 2^32 distinct paragraphs, its limit", idx->path);
    ND_TRY(ND_GROW(idx->nsets, idx->nsets_cap, idx->nnsets + 1));
    struct setrow *row = &idx->nsets[idx->nnsets++];
    row->id = idx->next_set++;
    memcpy(row->kb, kb, 16);
    row->text = text;
    row->len = len;
    *id = row->id;
    ND_TRY(ND_GROW(idx->pend_ids, idx->pend_cap, idx->npend + 1));
    ND_TRY(pend_room(idx));
    if (!idx->fresh_n) idx->fresh_base = row->id; /* ids are given in order from here */
    idx->fnew[idx->fresh_n] = (struct newset){ekey->high64, ekey->low64, th, (uint32_t)len};
    idx->fslot[slot] = fresh_tag(ekey->high64) | (uint64_t)(idx->fresh_n + 1);
    idx->fresh_n++;
    idx->pend_ids[idx->npend] = (uint32_t)*id;
    uint32_t *at = pend_key(idx, idx->npend, 0);
    for (unsigned j = 0; j < bands; j++) at[j * ND_PEND_BLOCK] = keys[j];
    at[bands * ND_PEND_BLOCK] = ekey32(ekey);
    idx->npend++;
    return ND_OK;
}

/* A paragraph as a producer leaves it for the writer: its place in
 * original bytes, its bytes (in the unit's text buffer), characters and
 * state, and for a clusterable one its exact key, the XXH3-64 of its bytes
 * and where its band keys are (the unit's keys). */
typedef struct ix_para {
    uint64_t off, len;
    size_t text, keys;
    uint32_t tlen, line, chars;
    unsigned char state;
    XXH128_hash_t ekey;
    uint64_t thash;
} ix_para;

/* A document of a unit: its paragraphs (the next np of the unit's), the
 * split mode used, its characters and comparable characters. */
typedef struct ix_doc {
    size_t np;
    uint64_t chars, comparable;
    unsigned char used;
} ix_doc;

/* A file - documents first .. first + n - 1 of the table - as the writer
 * hands it to a producer (its row and stored hash, looked up first) and
 * the producer gives it back (hashed, read, split and sketched).  The
 * buffers are kept for the next file the slot holds. */
typedef struct ix_unit {
    size_t first, n;
    const char *fpath;
    file_seen loaded; /* as the walk loaded it */
    int64_t fid;      /* its row, or 0: a new file */
    uint8_t old[16];  /* its stored hash (has_old) */
    int has_old;
    file_seen f;   /* as hashed */
    int err;       /* hash_file's errno (ESTALE: changed), or 0 */
    int unchanged; /* its hash is the stored one: nothing to write */
    int changed;   /* a document was not the file loaded: left out */
    ix_doc *docs;
    size_t docs_cap;
    ix_para *paras;
    size_t nparas, paras_cap;
    uint32_t *keys;
    size_t nkeys, keys_cap;
    uint8_t *text;
    size_t ntext, text_cap;
} ix_unit;

static void unit_release(ix_unit *u) {
    free(u->docs);
    free(u->paras);
    free(u->keys);
    free(u->text);
    memset(u, 0, sizeof *u);
}

/* A producer's scratch: the sketcher's (reader, shingler, signature) and
 * the split's table. */
typedef struct ix_worker {
    nd_worker wk;
    nd_paratab pt;
} ix_worker;

/* Is document d a single file read as it is on disk (not decoded, not
 * inflated, not a part of a container)?  Its bytes are then the file's,
 * and hashing them is hashing the file. */
static int plain_doc(const nd_doc *d) {
    return !d->cont && !d->data && !d->map.n && !d->esc.on && !d->gzip && !d->spooled;
}

/* Splits and sketches document d's bytes data into unit u (a producer's
 * work: no database). */
static nd_status doc_produce(const nd_index *idx, ix_worker *w, const nd_doc *doc,
                             const uint8_t *data, ix_unit *u, ix_doc *out) {
    const unsigned bands = idx->opt.bands;
    nd_split_mode used = ND_SPLIT_LINE;
    w->pt.n = 0;
    w->pt.max_len = idx->opt.max_paragraph_bytes;
    ND_TRY(nd_split_document(&w->pt, 0, data, doc->size, idx->opt.split, &used));
    *out = (ix_doc){.np = w->pt.n, .used = (unsigned char)used};
    ND_TRY(ND_GROW(u->paras, u->paras_cap, u->nparas + w->pt.n));
    for (size_t i = 0; i < w->pt.n; i++) {
        const uint8_t *text = data + w->pt.off[i];
        uint32_t len = w->pt.len[i];
        ix_para *p = &u->paras[u->nparas++];
        uint64_t off = nd_doc_orig_off(doc, w->pt.off[i]);
        p->off = off;
        p->len = nd_doc_orig_off(doc, w->pt.off[i] + len) - off;
        p->line = w->pt.line[i];
        p->text = u->ntext;
        p->tlen = len;
        ND_TRY(ND_GROW(u->text, u->text_cap, u->ntext + len));
        if (len) memcpy(u->text + u->ntext, text, len);
        u->ntext += len;
        ND_TRY(ND_GROW(u->keys, u->keys_cap, u->nkeys + bands));
        p->keys = u->nkeys;
        ND_TRY(nd_sketch_paragraph(&idx->sp, &w->wk, text, len, &p->chars, &p->state, &p->ekey,
                                   u->keys + u->nkeys));
        if (p->state == ND_PARA_REP) {
            u->nkeys += bands;
            p->thash = XXH3_64bits(text, len);
        }
        out->chars += p->chars;
        if (p->chars >= idx->opt.min_chars) out->comparable += p->chars; /* as report.c counts */
    }
    return ND_OK;
}

/* A producer's work on unit u: its hash (unchanged: done), then every
 * document read (checked to be the file loaded: else u->changed), split
 * and sketched.  Only a failure that ends the add is returned. */
static nd_status unit_produce(const nd_index *idx, const nd_doctab *dt, ix_worker *w, ix_unit *u) {
    const nd_doc *d0 = &dt->docs[u->first];
    const uint8_t *data = NULL;
    nd_status st;
    u->nparas = u->nkeys = u->ntext = 0;
    u->err = u->unchanged = u->changed = 0;
    uint64_t bytes = 0;
    for (size_t k = 0; k < u->n; k++) bytes += dt->docs[u->first + k].size;
    ND_TRY(ND_GROW(u->docs, u->docs_cap, u->n));
    if (bytes <= SIZE_MAX) ND_TRY(ND_GROW(u->text, u->text_cap, (size_t)bytes)); /* at most */
    if (u->n == 1 && plain_doc(d0)) { /* read once: its bytes are the file's */
        st = nd_reader_whole_private(&w->wk.rd, u->first, NULL, &data);
        if (st == ND_ERR_CHANGED) {
            u->err = ESTALE;
            return ND_OK;
        }
        ND_TRY(st);
        XXH128_hash_t h = XXH3_128bits(data, d0->size);
        hash_bytes(&h, u->f.hash);
        u->f.dev = d0->dev;
        u->f.ino = d0->ino;
        u->f.size = d0->size;
        u->f.mtime_ns = d0->mtime_ns;
    } else {
        u->err = hash_file(u->fpath, &u->f);
        if (!u->err && (u->f.dev != u->loaded.dev || u->f.ino != u->loaded.ino ||
                        u->f.mtime_ns != u->loaded.mtime_ns))
            u->err = ESTALE;
        if (u->err == ENOMEM) return ND_ERR_NOMEM;
        if (u->err) return ND_OK;
    }
    if (u->has_old && memcmp(u->f.hash, u->old, 16) == 0) { /* one hash: unchanged */
        u->unchanged = 1;
        return ND_OK;
    }
    for (size_t k = 0; k < u->n; k++) {
        size_t d = u->first + k;
        if (!data) {
            st = nd_reader_whole_private(&w->wk.rd, d, NULL, &data);
            if (st == ND_ERR_CHANGED) { /* left out; its old rows stay */
                u->changed = 1;
                return ND_OK;
            }
            ND_TRY(st);
        }
        ND_TRY(doc_produce(idx, w, &dt->docs[d], data, u, &u->docs[k]));
        data = NULL;
    }
    return ND_OK;
}

/* Paragraphs between a prefetch of a slot of the writer's table of new
 * sets and its lookup. */
#define FRESH_AHEAD 8

/* The writer's work on unit u (produced): its rows, or the report of why
 * it is left out.  Nothing is written for a file left out, so no file
 * needs a savepoint of its own. */
static nd_status unit_write(nd_index *idx, const nd_doctab *dt, nd_input_cfg *cfg, ix_unit *u,
                            nd_index_add_info *ai) {
    sqlite3_stmt *s = NULL;
    if (u->err) {
        if (u->err == ESTALE || u->err == ENOENT)
            report(idx, cfg, u->fpath, ND_ERR_CHANGED, 0, NULL);
        else
            report(idx, cfg, u->fpath, ND_ERR_IO, u->err, "read");
        return ND_OK;
    }
    if (u->changed) {
        report(idx, cfg, u->fpath, ND_ERR_CHANGED, 0, NULL);
        return ND_OK;
    }
    if (u->unchanged) { /* its time may be new */
        ND_TRY(stmt(idx, S_FILE_TOUCH, &s));
        sqlite3_bind_int64(s, 1, u->fid);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)u->f.size);
        sqlite3_bind_int64(s, 3, u->f.mtime_ns);
        ND_TRY(step_done(idx, s));
        ai->files_unchanged++;
        return ND_OK;
    }
    int64_t fid = u->fid;
    if (fid) {
        ND_TRY(delete_file_rows(idx, fid));
    } else {
        ND_TRY(stmt(idx, S_FILE_INS, &s));
        sqlite3_bind_text(s, 1, u->fpath, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)u->f.size);
        sqlite3_bind_int64(s, 3, u->f.mtime_ns);
        sqlite3_bind_blob(s, 4, u->f.hash, 16, SQLITE_STATIC);
        ND_TRY(step_done(idx, s));
        fid = sqlite3_last_insert_rowid(idx->db);
    }
    uint64_t paras = 0;
    const ix_para *p = u->paras;
    for (size_t k = 0; k < u->n; k++) {
        const nd_doc *doc = &dt->docs[u->first + k];
        const ix_doc *xd = &u->docs[k];
        ND_TRY(stmt(idx, S_DOC_INS, &s));
        sqlite3_bind_int64(s, 1, fid);
        sqlite3_bind_text(s, 2, doc->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)nd_doc_orig_size(doc));
        sqlite3_bind_int(s, 4, (int)xd->used);
        sqlite3_bind_text(s, 5, nd_doc_encoding(doc), -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 6, doc->gzip);
        sqlite3_bind_int64(s, 7, (sqlite3_int64)nd_doc_orig_base(doc));
        ND_TRY(step_done(idx, s));
        int64_t did = sqlite3_last_insert_rowid(idx->db);
        if (did <= 0 || did > (int64_t)UINT32_MAX) /* an owner entry holds 32 bits */
            return fail(idx, ND_ERR_NOMEM, "'%s' holds 2^32 documents, its limit", idx->path);
        ND_TRY(ND_GROW(idx->nparas, idx->nparas_cap, xd->np));
        for (size_t i = 0; i < xd->np; i++, p++) {
            const uint8_t *text = u->text + p->text;
            size_t ahead = (size_t)(p - u->paras) + FRESH_AHEAD;
            if (ahead < u->nparas && u->paras[ahead].state == ND_PARA_REP)
                fresh_prefetch(idx, &u->paras[ahead].ekey);
            int64_t sid = 0;
            int same = 0; /* a short paragraph keeps its own text */
            if (p->state == ND_PARA_REP) {
                ND_TRY(
                    set_of(idx, &p->ekey, u->keys + p->keys, text, p->tlen, p->thash, &sid, &same));
                ND_TRY(ND_GROW(idx->own, idx->own_cap, idx->nown + 1));
                idx->own[idx->nown++] = (struct owner){(uint64_t)sid << 32 | (uint64_t)did, p->off};
            }
            idx->nparas[idx->nnparas++] = (struct pararow){
                did, p->off, p->len, p->line, p->chars, sid, same ? NULL : text, p->tlen};
        }
        ND_TRY(rows_flush(idx));
        ND_TRY(stmt(idx, S_DOC_UPD, &s));
        sqlite3_bind_int64(s, 1, did);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)xd->np);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)xd->chars);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)xd->comparable);
        ND_TRY(step_done(idx, s));
        paras += xd->np;
    }
    ND_TRY(stmt(idx, S_FILE_UPD, &s));
    sqlite3_bind_int64(s, 1, fid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)u->f.size);
    sqlite3_bind_int64(s, 3, u->f.mtime_ns);
    sqlite3_bind_blob(s, 4, u->f.hash, 16, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)u->n);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)paras);
    ND_TRY(step_done(idx, s));
    if (u->fid)
        ai->files_changed++;
    else
        ai->files_new++;
    ai->documents += u->n;
    ai->paragraphs += paras;
    return ND_OK;
}

/* Files a batch holds at most, and the bytes after which it is closed: a
 * batch is produced while the one before is written, so two are in
 * memory (their texts, paragraphs and keys). */
#define IX_BATCH_UNITS 256
#define IX_BATCH_BYTES ((uint64_t)4 << 20)
/* The first batch's bytes, doubled batch by batch up to IX_BATCH_BYTES:
 * the writer waits for the first one alone (a whole 4 MiB batch was 0.1-0.2
 * s of an add of 9 MB to a 1 GB index, half of its input, before its
 * first row). */
#define IX_BATCH_FIRST ((uint64_t)256 << 10)

typedef struct ix_batch {
    ix_unit *u; /* IX_BATCH_UNITS slots */
    size_t n;
} ix_batch;

/* The add's producers: a thread of their own (when there are two threads
 * or more) running the pool's workers over a batch, while the caller's
 * thread writes the batch before. */
typedef struct ix_pipe {
    const nd_index *idx;
    const nd_doctab *dt;
    ix_worker *w;
    unsigned nw; /* producers: the pool's threads */
    int threaded;
    nd_pool *pool;
    ix_batch b[2];
    ix_batch *job; /* the batch being produced */
    nd_status job_st;
    pthread_t tid;
    int running;
} ix_pipe;

static nd_status produce_task(void *ctx, size_t t, unsigned worker) {
    ix_pipe *p = ctx;
    return unit_produce(p->idx, p->dt, &p->w[worker], &p->job->u[t]);
}

static void *produce_main(void *arg) {
    ix_pipe *p = arg;
    p->job_st = nd_pool_run(p->pool, p->job->n, produce_task, p, NULL);
    return NULL;
}

/* Starts producing batch b: on the producers' thread, or here. */
static void produce_start(ix_pipe *p, ix_batch *b) {
    p->job = b;
    p->job_st = ND_OK;
    if (!b->n) return;
    if (p->threaded && pthread_create(&p->tid, NULL, produce_main, p) == 0) {
        p->running = 1;
        return;
    }
    (void)produce_main(p);
}

/* Waits for the batch being produced; its status. */
static nd_status produce_wait(ix_pipe *p) {
    if (p->running) {
        (void)pthread_join(p->tid, NULL);
        p->running = 0;
    }
    return p->job_st;
}

static void pipe_release(ix_pipe *p) {
    (void)produce_wait(p);
    for (unsigned k = 0; p->w && k < p->nw; k++) {
        nd_reader_release(&p->w[k].wk.rd);
        nd_shingler_release(&p->w[k].wk.sa);
        free(p->w[k].wk.sig);
        nd_paratab_release(&p->w[k].pt);
    }
    free(p->w);
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; p->b[i].u && k < IX_BATCH_UNITS; k++) unit_release(&p->b[i].u[k]);
        free(p->b[i].u);
    }
    nd_pool_free(p->pool);
    memset(p, 0, sizeof *p);
}

/* The producers for the documents of dt: threads from idx->opt.threads
 * (0: the cores), one of them the writer (the caller). */
static nd_status pipe_init(ix_pipe *p, const nd_index *idx, const nd_doctab *dt) {
    unsigned threads = nd_pool_resolve_threads(idx->opt.threads);
    memset(p, 0, sizeof *p);
    p->idx = idx;
    p->dt = dt;
    p->threaded = threads > 1;
    p->nw = threads > 1 ? threads - 1 : 1;
    ND_TRY(nd_pool_new(p->nw, &p->pool));
    if (!(p->w = nd_calloc(p->nw, sizeof *p->w))) return ND_ERR_NOMEM;
    for (unsigned k = 0; k < p->nw; k++) {
        nd_reader_init(&p->w[k].wk.rd, dt);
        nd_shingler_init(&p->w[k].wk.sa, &idx->opt);
        if (!(p->w[k].wk.sig = nd_mallocn(idx->opt.num_perm, sizeof *p->w[k].wk.sig)))
            return ND_ERR_NOMEM;
    }
    for (int i = 0; i < 2; i++)
        if (!(p->b[i].u = nd_calloc(IX_BATCH_UNITS, sizeof *p->b[i].u))) return ND_ERR_NOMEM;
    return ND_OK;
}

/* The next batch of files from document *next on - up to IX_BATCH_UNITS
 * files, closed after `limit` bytes - each with its row and stored hash
 * when the index held files when the write began. */
static nd_status batch_next(nd_index *idx, const nd_doctab *dt, size_t *next, ix_batch *b,
                            uint64_t limit) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    uint64_t bytes = 0;
    b->n = 0;
    while (*next < dt->n && b->n < IX_BATCH_UNITS && bytes < limit) {
        const nd_doc *doc = &dt->docs[*next];
        ix_unit *u = &b->u[b->n];
        u->first = *next;
        u->n = 1;
        u->fpath = doc->path;
        u->loaded = (file_seen){.dev = doc->dev, .ino = doc->ino, .mtime_ns = doc->mtime_ns};
        if (doc->cont) {
            const nd_container *c = &dt->conts[doc->cont - 1];
            u->first = c->first;
            u->n = c->n;
            u->fpath = c->path;
            u->loaded = (file_seen){.dev = c->dev, .ino = c->ino, .mtime_ns = c->mtime_ns};
        }
        if (u->first != *next || u->n == 0) /* cannot happen: parts are contiguous */
            return fail(idx, ND_ERR_INTERNAL, "documents of '%s' are not contiguous", u->fpath);
        for (size_t d = u->first; d < u->first + u->n; d++) bytes += dt->docs[d].size;
        u->fid = 0;
        u->has_old = 0;
        if (idx->had_files) {
            ND_TRY(stmt(idx, S_FILE_GET, &s));
            sqlite3_bind_text(s, 1, u->fpath, -1, SQLITE_STATIC);
            int r = step_row(idx, s, &st);
            if (r < 0) return st;
            if (r == 1) {
                const void *h = sqlite3_column_blob(s, 1);
                u->fid = sqlite3_column_int64(s, 0);
                u->has_old = h && sqlite3_column_bytes(s, 1) == 16;
                if (u->has_old) memcpy(u->old, h, 16);
            }
            sqlite3_reset(s);
        }
        b->n++;
        *next = u->first + u->n;
    }
    return ND_OK;
}

/* Does skipped input `skip` belong to path p (of n bytes): p itself, below
 * it (a directory), or a part of it (FILE:LINE of JSON Lines, ARCHIVE//MEMBER)? */
static int skip_under(const char *skip, const char *p, size_t n) {
    return strncmp(skip, p, n) == 0 && (skip[n] == '\0' || skip[n] == '/' || skip[n] == ':');
}

/* Forgets the skipped inputs that belong to path (n bytes): read now, or
 * removed. */
static nd_status skips_drop(nd_index *idx, const char *path, size_t n) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    size_t k = 0;
    ND_TRY(stmt(idx, S_SKIP_LIST, &s));
    while ((r = step_row(idx, s, &st)) == 1) {
        const char *sp = (const char *)sqlite3_column_text(s, 1);
        if (!sp || !skip_under(sp, path, n)) continue;
        if (ND_GROW(idx->ids, idx->ids_cap, k + 1) != ND_OK) {
            sqlite3_reset(s);
            return ND_ERR_NOMEM;
        }
        idx->ids[k++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (r < 0) return st;
    for (size_t i = 0; i < k; i++) {
        ND_TRY(stmt(idx, S_SKIP_DEL, &s));
        sqlite3_bind_int64(s, 1, idx->ids[i]);
        ND_TRY(step_done(idx, s));
    }
    return ND_OK;
}

/* Keeps the inputs a walk skipped, for the report of the corpus
 * (nd_index_scan: "skipped" as a scan of the same files lists them); a path
 * that does not exist is not kept. */
static nd_status skips_keep(nd_index *idx, const nd_skiplist *l) {
    sqlite3_stmt *s = NULL;
    if (l->nomem) return ND_ERR_NOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const nd_skip *k = &l->v[i];
        if (k->status == ND_ERR_IO && k->sys_errno == ENOENT) continue;
        ND_TRY(stmt(idx, S_SKIP_PUT, &s));
        sqlite3_bind_text(s, 1, k->path, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, (int)k->status);
        sqlite3_bind_int(s, 3, k->sys_errno);
        if (k->detail)
            sqlite3_bind_text(s, 4, k->detail, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 4);
        ND_TRY(step_done(idx, s));
    }
    return ND_OK;
}

/* What the loader needs, from the index's options. */
static void input_cfg(const nd_index *idx, nd_input_cfg *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->max_file_size = idx->opt.max_file_size;
    cfg->encoding = idx->opt.encoding;
    cfg->jsonl_field = idx->opt.jsonl_field;
    cfg->id_field = idx->opt.id_field;
    cfg->diag = idx->diag;
    cfg->user = idx->diag_user;
    /* the walk's files are opened and sniffed on the add's threads, as a
     * scan's are (input.c): on one, 0.2 s of the writer thread's 5.2 s
     * before the first batch (1 GB Chinese, 18,253 files) */
    cfg->threads = nd_pool_resolve_threads(idx->opt.threads);
    cfg->include = (const char *const *)idx->rules[ND_WALK_INCLUDE];
    cfg->ninclude = idx->nrules[ND_WALK_INCLUDE];
    cfg->exclude = (const char *const *)idx->rules[ND_WALK_EXCLUDE];
    cfg->nexclude = idx->nrules[ND_WALK_EXCLUDE];
    cfg->hidden = idx->hidden;
}

/* After a write: WAL mode, if the index is not in it yet (a new index's
 * first write ran with a rollback journal, which writes its new pages once
 * where WAL writes them to the log and again at the checkpoint).  Without
 * waiting: when another connection is open the switch is left to the next
 * write. */
static void wal_on(nd_index *idx) {
    sqlite3_busy_timeout(idx->db, 0);
    (void)sqlite3_exec(idx->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    sqlite3_busy_timeout(idx->db, idx->busy_ms > INT_MAX ? INT_MAX : (int)idx->busy_ms);
}

/* Takes the write lock (waiting up to the busy timeout). */
static nd_status begin_write(nd_index *idx) {
    int rc = sqlite3_exec(idx->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? ND_OK : db_fail(idx, rc);
}

/* Whether the index holds any distinct paragraph (in the write's
 * snapshot), and the id the next one gets: above every id ever given
 * (AUTOINCREMENT's sqlite_sequence keeps the largest, also of explicit
 * ids), since segments may still name removed ones. */
static nd_status write_start(nd_index *idx) {
    int64_t v = 0, seq = 0;
    ND_TRY(scalar(idx, "SELECT EXISTS (SELECT 1 FROM sets)", &v));
    idx->had_sets = v != 0;
    ND_TRY(scalar(idx, "SELECT EXISTS (SELECT 1 FROM files)", &v));
    idx->had_files = v != 0;
    ND_TRY(scalar(idx,
                  "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sets'), 0),"
                  " coalesce((SELECT max(id) FROM sets), 0))",
                  &seq));
    if (seq < 0 || seq >= (int64_t)UINT32_MAX)
        return fail(idx, ND_ERR_NOMEM, "'%s' holds 2^32 distinct paragraphs, its limit", idx->path);
    idx->next_set = (uint32_t)seq + 1;
    return ND_OK;
}

nd_status nd_index_add_paths(nd_index *idx, const char *const *paths, size_t npaths,
                             nd_index_add_info *info) {
    nd_status st = ND_OK;
    nd_doctab dt;
    nd_input_cfg cfg;
    nd_index_add_info ai;
    nd_skiplist skips;
    ix_pipe pp;
    int began = 0;
    int64_t nskips = 0;
    memset(&dt, 0, sizeof dt);
    memset(&ai, 0, sizeof ai);
    memset(&skips, 0, sizeof skips);
    memset(&pp, 0, sizeof pp);
    ND_TRY(usable(idx));
    if (!paths && npaths) return ND_ERR_INVALID;
    for (size_t i = 0; i < npaths; i++) {
        if (!paths[i]) return ND_ERR_INVALID;
        if (strcmp(paths[i], "-") == 0)
            return fail(idx, ND_ERR_INVALID, "standard input cannot be indexed (it has no path)");
    }
    input_cfg(idx, &cfg);
    cfg.skips = &skips;
    for (size_t i = 0; i < npaths; i++) ND_CHECK(nd_input_add_path(&dt, &cfg, paths[i]));
    ND_CHECK(begin_write(idx));
    began = 1;
    ND_CHECK(write_start(idx));
    ND_CHECK(scalar(idx, "SELECT count(*) FROM skips", &nskips));
    ND_CHECK(segs_list(idx, NULL, 0)); /* the exact keys' lookups read them */
    ND_CHECK(exact_start(idx));
    ND_CHECK(pipe_init(&pp, idx, &dt));
    size_t next = 0;
    ix_batch *cur = &pp.b[0], *nxt = &pp.b[1];
    uint64_t limit = IX_BATCH_FIRST;
    ND_CHECK(batch_next(idx, &dt, &next, cur, limit));
    produce_start(&pp, cur);
    ND_CHECK(produce_wait(&pp));
    while (cur->n) {
        limit = ND_MIN(2 * limit, IX_BATCH_BYTES);
        ND_CHECK(batch_next(idx, &dt, &next, nxt, limit)); /* produced while cur is written */
        produce_start(&pp, nxt);
        for (size_t i = 0; i < cur->n; i++) {
            const char *fpath = cur->u[i].fpath;
            ND_CHECK(unit_write(idx, &dt, &cfg, &cur->u[i], &ai));
            if (nskips) ND_CHECK(skips_drop(idx, fpath, strlen(fpath))); /* read now */
            if (idx->npend >= ND_PEND_MAX || idx->nown >= ND_OWN_MAX) ND_CHECK(seg_flush(idx));
        }
        if (idx->tmp) tmp_writeback(idx);
        ND_CHECK(produce_wait(&pp));
        ix_batch *t = cur;
        cur = nxt;
        nxt = t;
    }
    ND_CHECK(skips_keep(idx, &skips));
    ND_CHECK(seg_flush(idx));
    ND_CHECK(sets_reap(idx));
    ND_CHECK(seg_compact(idx));
    ND_CHECK(exec(idx, "COMMIT"));
    began = 0;
    if (idx->tmp)
        ND_CHECK(publish(idx));
    else
        wal_on(idx);
    ai.skipped = cfg.skipped;
    if (info) *info = ai;
out:
    pipe_release(&pp); /* the producers stop before their documents go */
    if (began && idx->tmp)
        discard(idx); /* no rollback without a journal: a new index appears whole or not at all */
    else if (began)
        (void)sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    idx->npend = 0; /* rolled back with their rows, or written */
    idx->nown = idx->ncand = 0;
    idx->nnsets = idx->nnparas = 0;
    fresh_clear(idx);
    free(idx->xent);
    idx->xent = NULL;
    idx->xheld = 0;
    if (st == ND_ERR_NOMEM && !idx->msg[0]) fail(idx, st, "out of memory");
    nd_doctab_release(&dt);
    nd_skiplist_release(&skips);
    return st;
}

nd_status nd_index_add(nd_index *idx, const char *path, nd_index_add_info *info) {
    if (!path) return ND_ERR_INVALID;
    return nd_index_add_paths(idx, &path, 1, info);
}

nd_status nd_index_remove(nd_index *idx, const char *path, uint64_t *removed) {
    nd_status st = ND_OK;
    sqlite3_stmt *s = NULL;
    char *lo = NULL, *hi = NULL;
    int64_t *fids = NULL;
    size_t n = 0, cap = 0;
    int began = 0;
    ND_TRY(usable(idx));
    if (!path || !*path) return ND_ERR_INVALID;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    /* the file itself, or the paths in (DIR/, DIR0): '0' follows '/' */
    lo = nd_mallocn(len + 2, 1);
    hi = nd_mallocn(len + 2, 1);
    if (!lo || !hi) {
        st = fail(idx, ND_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(lo, path, len);
    memcpy(hi, path, len);
    lo[len] = '/';
    hi[len] = '0';
    lo[len + 1] = hi[len + 1] = '\0';
    ND_CHECK(begin_write(idx));
    began = 1;
    ND_CHECK(stmt(idx, S_FILE_LIKE, &s));
    sqlite3_bind_text(s, 1, path, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, hi, -1, SQLITE_STATIC);
    int r;
    while ((r = step_row(idx, s, &st)) == 1) {
        if (n == cap && ND_GROW(fids, cap, n + 1) != ND_OK) {
            sqlite3_reset(s);
            st = fail(idx, ND_ERR_NOMEM, "out of memory");
            goto out;
        }
        fids[n++] = sqlite3_column_int64(s, 0);
    }
    if (r < 0) goto out;
    sqlite3_reset(s);
    for (size_t i = 0; i < n; i++) {
        ND_CHECK(delete_file_rows(idx, fids[i]));
        ND_CHECK(stmt(idx, S_FILE_DEL, &s));
        sqlite3_bind_int64(s, 1, fids[i]);
        ND_CHECK(step_done(idx, s));
    }
    ND_CHECK(sets_reap(idx));
    ND_CHECK(skips_drop(idx, path, len));
    ND_CHECK(seg_purge(idx));
    ND_CHECK(exec(idx, "COMMIT"));
    began = 0;
    if (idx->tmp)
        ND_CHECK(publish(idx));
    else
        wal_on(idx);
    if (removed) *removed = n;
out:
    idx->ncand = 0;
    if (began && idx->tmp)
        discard(idx); /* no rollback without a journal */
    else if (began)
        (void)sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    free(lo);
    free(hi);
    free(fids);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Check, counts, status                                                     */
/* ------------------------------------------------------------------------ */

/* Runs a query of one integer; *v its value. */
static nd_status scalar(nd_index *idx, const char *sql, int64_t *v) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(idx->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    nd_status st = rc == SQLITE_ROW || rc == SQLITE_DONE ? ND_OK : db_fail(idx, rc);
    sqlite3_finalize(s);
    return st;
}

/* The invariants that one query each can count violations of. */
static const struct {
    const char *sql, *what;
} checks[] = {
    {"SELECT count(*) FROM paras p WHERE NOT EXISTS (SELECT 1 FROM docs d WHERE d.id = p.doc)",
     "paragraphs of a document that is not in the index"},
    {"SELECT count(*) FROM docs d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = d.file)",
     "documents of a file that is not in the index"},
    {"SELECT count(*) FROM paras p WHERE p.sset IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM sets s WHERE s.id = p.sset)",
     "paragraphs whose distinct paragraph is missing"},
    {"SELECT count(*) FROM sets WHERE id NOT IN (SELECT sset FROM paras WHERE sset IS NOT NULL)",
     "distinct paragraphs that no paragraph uses"},
    {"SELECT count(*) FROM pages p WHERE NOT EXISTS (SELECT 1 FROM segs g WHERE g.id = p.seg)",
     "band-key pages of a segment that is not in the index"},
    {"SELECT count(*) FROM dead d WHERE EXISTS (SELECT 1 FROM sets s WHERE s.id = d.sset)",
     "distinct paragraphs listed as dead but still in the index"},
    {"SELECT count(*) FROM docs d WHERE d.paragraphs != (SELECT count(*) FROM paras p WHERE "
     "p.doc = d.id) OR d.chars != (SELECT coalesce(sum(p.chars), 0) FROM paras p WHERE "
     "p.doc = d.id)",
     "documents whose paragraph or character count is wrong"},
    {"SELECT count(*) FROM files f WHERE f.documents != (SELECT count(*) FROM docs d WHERE "
     "d.file = f.id) OR f.paragraphs != (SELECT coalesce(sum(d.paragraphs), 0) FROM docs d "
     "WHERE d.file = f.id)",
     "files whose document or paragraph count is wrong"},
    {"SELECT count(*) FROM files WHERE length(hash) != 16", "files without a content hash"},
    {"SELECT count(*) FROM docs d WHERE d.comparable != (SELECT coalesce(sum(p.chars), 0) FROM "
     "paras p WHERE p.doc = d.id AND p.chars >= (SELECT CAST(value AS INTEGER) FROM meta WHERE "
     "key = 'min_chars'))",
     "documents whose comparable character count is wrong"},
    {"SELECT count(*) FROM paras WHERE sset IS NULL AND text IS NULL",
     "short paragraphs without their text"},
};

/* A distinct paragraph as the check holds it: its id and stored band
 * keys, and a bit per band whose entry the segments hold. */
typedef struct check_set {
    int64_t id;
    uint32_t *keys; /* bands, in check_sets' keys array */
    uint64_t *seen; /* (bands + 63) / 64 words */
} check_set;

static size_t check_find(const check_set *v, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].id == id ? lo : SIZE_MAX;
}

/* No two distinct paragraphs share an exact key (the table has no UNIQUE
 * index: the segments find keys), read in key order. */
static nd_status check_unique(nd_index *idx) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(idx->db,
                                "SELECT count(*) FROM (SELECT ekey FROM sets GROUP BY ekey "
                                "HAVING count(*) > 1)",
                                -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    rc = sqlite3_step(s);
    int64_t dup = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    nd_status st = rc == SQLITE_ROW ? ND_OK : db_fail(idx, rc);
    sqlite3_finalize(s);
    if (st == ND_OK && dup)
        st = fail(idx, ND_ERR_FORMAT,
                  "'%s': %lld exact keys held by more than one distinct "
                  "paragraph",
                  idx->path, (long long)dup);
    return st;
}

/* Every paragraph of a distinct paragraph has its owner entry (set id,
 * document) in a segment: owns[0..n) are the segments' owner entries. */
static nd_status check_owners(nd_index *idx, const struct owner *owns, size_t n) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    ND_TRY(own_sort(idx, owns, n, &n)); /* into idx->own2 */
    int rc = sqlite3_prepare_v2(idx->db, "SELECT doc, off, sset FROM paras WHERE sset IS NOT NULL",
                                -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t doc = sqlite3_column_int64(s, 0), sid = sqlite3_column_int64(s, 2);
        struct owner x = {(uint64_t)sid << 32 | (uint64_t)(uint32_t)doc,
                          (uint64_t)sqlite3_column_int64(s, 1)};
        if (!bsearch(&x, idx->own2, n, sizeof x, cmp_owner)) {
            st = fail(idx, ND_ERR_FORMAT,
                      "'%s': a paragraph of document %lld: no segment holds the owner entry of "
                      "its distinct paragraph %lld",
                      idx->path, (long long)doc, (long long)sid);
            break;
        }
    }
    if (st == ND_OK && rc != SQLITE_DONE) st = db_fail(idx, rc);
    sqlite3_finalize(s);
    return st;
}

/* Every distinct paragraph: its text sketches to its exact key and band
 * keys (the scan's nd_sketch_paragraph again); every entry of every
 * segment's bands of keys names a distinct paragraph (or a dead one) and
 * its key in that band, each band's entries sorted and each paragraph's
 * key in each band held exactly once; each owner band sorted, and every
 * paragraph's owner entry held (check_owners); each segment's entry
 * count is the one recorded. */
static nd_status check_sets(nd_index *idx) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    const unsigned bands = idx->opt.bands, sb = set_bands(idx), words = (sb + 63) / 64;
    check_set *v = NULL;
    uint32_t *keys = NULL;
    uint64_t *seen = NULL;
    struct owner *owns = NULL;
    size_t n = 0, cap = 0, kcap = 0, ndead = 0, nowns = 0, owns_cap = 0;
    int rc =
        sqlite3_prepare_v2(idx->db, "SELECT id, ekey, text FROM sets ORDER BY id", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        const uint8_t *ek = sqlite3_column_blob(s, 1);
        const uint8_t *text = sqlite3_column_blob(s, 2);
        size_t len = (size_t)sqlite3_column_bytes(s, 2);
        if (!ek || sqlite3_column_bytes(s, 1) != 16 || id <= 0 || id > (int64_t)UINT32_MAX) {
            st = fail(idx, ND_ERR_FORMAT, "'%s': distinct paragraph %lld has damaged columns",
                      idx->path, (long long)id);
            goto out;
        }
        uint32_t chars = 0, kk[1024];
        unsigned char state = ND_PARA_SHORT;
        XXH128_hash_t h = {0, 0};
        ND_CHECK(nd_sketch_paragraph(&idx->sp, &idx->wk, text ? text : (const uint8_t *)"", len,
                                     &chars, &state, &h, kk));
        uint8_t kb[16];
        hash_bytes(&h, kb);
        if (state != ND_PARA_REP || memcmp(kb, ek, 16) != 0) {
            st = fail(idx, ND_ERR_FORMAT,
                      "'%s': distinct paragraph %lld: its text does not give its exact key",
                      idx->path, (long long)id);
            goto out;
        }
        ND_CHECK(ND_GROW(v, cap, n + 1));
        ND_CHECK(ND_GROW(keys, kcap, (n + 1) * sb));
        memcpy(keys + n * sb, kk, bands * sizeof *kk);
        keys[n * sb + bands] = ekey32(&h);
        v[n++].id = id;
    }
    if (rc != SQLITE_DONE) {
        st = db_fail(idx, rc);
        goto out;
    }
    if (n && !(seen = nd_calloc(n * words, sizeof *seen))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].keys = keys + i * sb;
        v[i].seen = seen + i * words;
    }
    ND_CHECK(dead_load(idx, &ndead)); /* idx->ids */
    int64_t ent[ND_SEGS_MAX + 2];
    ND_CHECK(segs_list(idx, ent, ND_SEGS_MAX + 2));
    if (idx->nsegs > ND_SEGS_MAX + 1) {
        st = fail(idx, ND_ERR_FORMAT, "'%s': %zu band-key segments, more than %d", idx->path,
                  idx->nsegs, ND_SEGS_MAX + 1);
        goto out;
    }
    for (size_t g = 0; g < idx->nsegs; g++) {
        uint64_t total = 0;
        size_t first = nowns; /* the owner band: checked below, all segments' at once */
        ND_CHECK(own_load(idx, idx->segs[g], &owns, &nowns, &owns_cap));
        total += nowns - first;
        for (size_t e = first + 1; e < nowns; e++)
            if (cmp_owner(&owns[e - 1], &owns[e]) >= 0) {
                st = fail(idx, ND_ERR_FORMAT,
                          "'%s': the owner entries of segment %lld are out of order", idx->path,
                          (long long)idx->segs[g]);
                goto out;
            }
        for (unsigned j = 0; j < set_bands(idx); j++) {
            size_t m = 0;
            ND_CHECK(band_load(idx, idx->segs[g], j, &m));
            total += m;
            for (size_t e = 0; e < m; e++) {
                uint64_t x = idx->ent[e];
                int64_t sid = (int64_t)(uint32_t)x;
                if (e && x <= idx->ent[e - 1]) {
                    st = fail(idx, ND_ERR_FORMAT,
                              "'%s': band %u of segment %lld: band keys out of order", idx->path, j,
                              (long long)idx->segs[g]);
                    goto out;
                }
                if (is_dead(idx->ids, ndead, sid)) continue;
                size_t k = check_find(v, n, sid);
                if (k == SIZE_MAX || v[k].keys[j] != (uint32_t)(x >> 32) ||
                    (v[k].seen[j / 64] >> (j % 64) & 1u)) {
                    st = fail(idx, ND_ERR_FORMAT,
                              "'%s': band %u of segment %lld: a band key of distinct paragraph "
                              "%lld %s",
                              idx->path, j, (long long)idx->segs[g], (long long)sid,
                              k == SIZE_MAX                         ? "that is missing"
                              : v[k].keys[j] != (uint32_t)(x >> 32) ? "that is not its own"
                                                                    : "held twice");
                    goto out;
                }
                v[k].seen[j / 64] |= UINT64_C(1) << (j % 64);
            }
        }
        if (total != (uint64_t)ent[g]) {
            st = fail(idx, ND_ERR_FORMAT, "'%s': segment %lld holds %llu band keys, %lld recorded",
                      idx->path, (long long)idx->segs[g], (unsigned long long)total,
                      (long long)ent[g]);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        for (unsigned j = 0; j < sb; j++)
            if (!(v[i].seen[j / 64] >> (j % 64) & 1u)) {
                st = fail(idx, ND_ERR_FORMAT,
                          "'%s': distinct paragraph %lld: no segment holds its %s", idx->path,
                          (long long)v[i].id, j < bands ? "band key" : "exact key");
                goto out;
            }
    ND_CHECK(check_owners(idx, owns, nowns));
    ND_CHECK(check_unique(idx));
out:
    sqlite3_finalize(s);
    free(v);
    free(keys);
    free(seen);
    free(owns);
    return st;
}

nd_status nd_index_check(nd_index *idx) {
    nd_status st = ND_OK;
    sqlite3_stmt *s = NULL;
    ND_TRY(usable(idx));
    ND_TRY(exec(idx, "BEGIN")); /* one snapshot for every check */
    int rc = sqlite3_prepare_v2(idx->db, "PRAGMA integrity_check", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(idx, rc);
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        st = db_fail(idx, rc);
        goto out;
    }
    const unsigned char *t = sqlite3_column_text(s, 0);
    if (!t || strcmp((const char *)t, "ok") != 0) {
        st = fail(idx, ND_ERR_FORMAT, "'%s': SQLite's integrity check: %s", idx->path,
                  t ? (const char *)t : "?");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        int64_t bad = 0;
        ND_CHECK(scalar(idx, checks[i].sql, &bad));
        if (bad) {
            st = fail(idx, ND_ERR_FORMAT, "'%s': %lld %s", idx->path, (long long)bad,
                      checks[i].what);
            goto out;
        }
    }
    st = check_sets(idx);
out:
    sqlite3_finalize(s);
    (void)sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
    return st;
}

nd_status nd_index_counts_get(nd_index *idx, nd_index_counts *out) {
    nd_status st = ND_OK;
    int64_t v[7];
    static const char *const sql[7] = {
        "SELECT count(*) FROM files",
        "SELECT count(*) FROM docs",
        "SELECT count(*) FROM paras",
        "SELECT count(*) FROM sets",
        "SELECT coalesce(sum(entries), 0) FROM segs",
        "SELECT coalesce(sum(length(text)), 0) FROM sets",
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"};
    ND_TRY(usable(idx));
    if (!out) return ND_ERR_INVALID;
    for (int i = 0; i < 7; i++) ND_TRY(scalar(idx, sql[i], &v[i]));
    *out = (nd_index_counts){.files = (uint64_t)v[0],
                             .documents = (uint64_t)v[1],
                             .paragraphs = (uint64_t)v[2],
                             .distinct = (uint64_t)v[3],
                             /* the segments' entries less the exact keys' */
                             .band_keys = (uint64_t)v[4] / set_bands(idx) * idx->opt.bands,
                             .text_bytes = (uint64_t)v[5],
                             .db_bytes = (uint64_t)v[6]};
    return st;
}

nd_status nd_index_status(nd_index *idx,
                          void (*fn)(void *user, const char *path, nd_index_file_state state),
                          void *user) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    ND_TRY(usable(idx));
    if (!fn) return ND_ERR_INVALID;
    int rc = sqlite3_prepare_v2(
        idx->db, "SELECT path, size, mtime_ns, hash FROM files ORDER BY path", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(idx, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(s, 0);
        int64_t size = sqlite3_column_int64(s, 1), mt = sqlite3_column_int64(s, 2);
        const void *h = sqlite3_column_blob(s, 3);
        int hlen = sqlite3_column_bytes(s, 3);
        struct stat sb;
        nd_index_file_state state = ND_INDEX_FILE_SAME;
        if (!path) continue;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            state = ND_INDEX_FILE_GONE;
        } else if ((int64_t)sb.st_size != size || stat_mtime(&sb) != mt) {
            file_seen f;
            int err = hash_file(path, &f);
            if (err == ENOMEM) {
                st = fail(idx, ND_ERR_NOMEM, "out of memory");
                break;
            }
            if (err)
                state = err == ENOENT ? ND_INDEX_FILE_GONE : ND_INDEX_FILE_CHANGED;
            else if (!h || hlen != 16 || memcmp(h, f.hash, 16) != 0)
                state = ND_INDEX_FILE_CHANGED;
        }
        fn(user, path, state);
    }
    if (st == ND_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) st = db_fail(idx, rc);
    sqlite3_finalize(s);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Query                                                                     */
/* ------------------------------------------------------------------------ */

/* A match while the query is gathered: the indexed document by row id. */
typedef struct qmatch {
    nd_query_match_info m;
    int64_t doc;
    size_t toff; /* its text in q->arena (m.text is set at the end) */
} qmatch;

typedef struct qwork {
    nd_query *q;
    qmatch *m;
    size_t nm, mcap;
    int64_t *cand;
    size_t ncand, ccap;
} qwork;

void nd_query_free(nd_query *q) {
    if (!q) return;
    for (size_t i = 0; i < q->ndocs; i++) {
        free(q->docs[i].path);
        free(q->docs[i].encoding);
    }
    for (size_t i = 0; i < q->ntargets; i++) free(q->targets[i].path);
    free(q->docs);
    free(q->paras);
    free(q->targets);
    free(q->matches);
    free(q->overlaps);
    free(q->arena);
    free(q->ptext);
    free(q);
}

/* Appends b[0..n-1] to the query's arena; *off receives where. */
static nd_status arena_put(nd_query *q, const void *b, size_t n, size_t *off) {
    ND_TRY(ND_GROW(q->arena, q->arena_cap, q->arena_n + n + 1));
    if (n) memcpy(q->arena + q->arena_n, b, n);
    *off = q->arena_n;
    q->arena_n += n;
    return ND_OK;
}

/* The indexed paragraphs near-duplicating query paragraph qp (its text
 * and band keys): candidates by band key, kept when their exact Jaccard
 * with it is >= threshold (as stage_verify.c: jac >= opt.threshold).
 * Appended to w->m. */
static nd_status query_paragraph(nd_index *idx, qwork *w, uint32_t qp, const uint8_t *text,
                                 size_t len, const uint32_t *keys) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    w->ncand = 0;
    for (unsigned j = 0; j < idx->opt.bands; j++)
        ND_TRY(band_lookup(idx, j, keys[j], &w->cand, &w->ncand, &w->ccap));
    if (!w->ncand) return ND_OK;
    qsort(w->cand, w->ncand, sizeof *w->cand, cmp_i64);
    size_t nc = 1;
    for (size_t i = 1; i < w->ncand; i++)
        if (w->cand[i] != w->cand[nc - 1]) w->cand[nc++] = w->cand[i];
    /* the query paragraph's shingle set, as the verify stage makes it (sb;
     * sa, which sketched it, is free for the candidates' sets) */
    uint64_t *qs = NULL;
    size_t nq = 0;
    ND_TRY(nd_shingler_set(&idx->wk.sb, text, len, &qs, &nq));
    for (size_t c = 0; c < nc; c++) {
        int64_t sid = w->cand[c];
        ND_TRY(stmt(idx, S_SET_TEXT, &s));
        sqlite3_bind_int64(s, 1, sid);
        if ((r = step_row(idx, s, &st)) < 0) return st;
        if (r == 0) continue; /* a dead set's entry, not yet merged away */
        uint64_t *cs = NULL;
        size_t ncs = 0, toff = 0, tlen = (size_t)sqlite3_column_bytes(s, 0);
        const void *tb = sqlite3_column_blob(s, 0);
        st = nd_shingler_set(&idx->wk.sa, tb, tlen, &cs, &ncs);
        double jac = nd_hashset_jaccard(qs, nq, cs, ncs);
        if (st == ND_OK && jac >= idx->opt.threshold) st = arena_put(w->q, tb, tlen, &toff);
        sqlite3_reset(s);
        ND_TRY(st);
        if (!(jac >= idx->opt.threshold)) continue;
        /* its paragraphs: those its owner entries name (in (doc, off)
         * order) that still hold it */
        size_t no = 0;
        ND_TRY(own_lookup(idx, (uint32_t)sid, &no));
        for (size_t k = 0; k < no; k++) {
            const int64_t doc = (int64_t)(uint32_t)idx->olook[k].sd;
            const uint64_t off = idx->olook[k].off;
            ND_TRY(stmt(idx, S_PARA_OF_SET, &s));
            sqlite3_bind_int64(s, 1, doc);
            sqlite3_bind_int64(s, 2, (sqlite3_int64)off);
            sqlite3_bind_int64(s, 3, sid);
            if ((r = step_row(idx, s, &st)) < 0) return st;
            if (r == 0) continue; /* an entry left by a document gone or changed */
            ND_TRY(ND_GROW(w->m, w->mcap, w->nm + 1));
            qmatch *m = &w->m[w->nm++];
            m->doc = doc;
            m->m = (nd_query_match_info){
                .paragraph = qp,
                .offset = off,
                .length = (uint32_t)sqlite3_column_int64(s, 0),
                .line = (uint32_t)sqlite3_column_int64(s, 1),
                .chars = (uint32_t)sqlite3_column_int64(s, 2),
                .similarity = jac,
                .text_len = tlen,
            };
            m->toff = toff;
            if (sqlite3_column_type(s, 3) != SQLITE_NULL) { /* its own bytes */
                const void *own = sqlite3_column_blob(s, 3);
                size_t olen = (size_t)sqlite3_column_bytes(s, 3);
                ND_TRY(arena_put(w->q, own, olen, &m->toff));
                m->m.text_len = olen;
            }
        }
    }
    return ND_OK;
}

/* Splits and sketches query document d and gathers its matches. */
static nd_status query_doc(nd_index *idx, qwork *w, nd_doctab *dt, nd_reader *rd, size_t d) {
    nd_query *q = w->q;
    const nd_doc *doc = &dt->docs[d];
    const uint8_t *data = NULL;
    nd_split_mode used = ND_SPLIT_LINE;
    ND_TRY(nd_reader_whole_private(rd, d, NULL, &data));
    idx->pt.n = 0;
    idx->pt.max_len = idx->opt.max_paragraph_bytes;
    ND_TRY(nd_split_document(&idx->pt, 0, data, doc->size, idx->opt.split, &used));
    ND_TRY(ND_GROW(q->docs, q->docs_cap, q->ndocs + 1));
    nd_qdoc *qd = &q->docs[q->ndocs];
    memset(qd, 0, sizeof *qd);
    qd->path = nd_strdup(doc->path);
    qd->encoding = nd_strdup(nd_doc_encoding(doc));
    q->ndocs++; /* owned from here, freed with q */
    if (!qd->path || !qd->encoding) return ND_ERR_NOMEM;
    qd->bytes = nd_doc_orig_size(doc);
    qd->paragraphs = idx->pt.n;
    uint32_t qdi = (uint32_t)(q->ndocs - 1);
    for (size_t i = 0; i < idx->pt.n; i++) {
        const uint8_t *text = data + idx->pt.off[i];
        size_t len = idx->pt.len[i];
        uint32_t chars = 0, keys[1024];
        unsigned char state = ND_PARA_SHORT;
        XXH128_hash_t ekey = {0, 0};
        ND_TRY(nd_sketch_paragraph(&idx->sp, &idx->wk, text, len, &chars, &state, &ekey, keys));
        uint64_t off = nd_doc_orig_off(doc, idx->pt.off[i]);
        uint64_t end = nd_doc_orig_off(doc, idx->pt.off[i] + len);
        if (q->nparas >= UINT32_MAX) return ND_ERR_NOMEM;
        ND_TRY(ND_GROW(q->paras, q->paras_cap, q->nparas + 1));
        uint32_t qp = (uint32_t)q->nparas++;
        q->paras[qp] = (nd_query_paragraph_info){
            .doc = qdi,
            .line = idx->pt.line[i],
            .offset = off,
            .length = (uint32_t)ND_MIN(end - off, (uint64_t)UINT32_MAX),
            .chars = chars,
        };
        qd->chars += chars;
        if (chars >= idx->opt.min_chars) qd->comparable += chars; /* as report.c counts */
        size_t nm = w->nm, toff = 0;
        if (state == ND_PARA_REP) ND_TRY(query_paragraph(idx, w, qp, text, len, keys));
        ND_TRY(ND_GROW(q->ptext, q->ptext_cap, 2 * ((size_t)qp + 1)));
        if (w->nm > nm) ND_TRY(arena_put(q, text, len, &toff));
        q->ptext[2 * qp] = toff;
        q->ptext[2 * qp + 1] = w->nm > nm ? len : 0;
    }
    return ND_OK;
}

static int cmp_target(const void *a, const void *b) {
    const nd_qtarget *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int cmp_match(const void *a, const void *b) {
    const nd_query_match_info *x = a, *y = b;
    if (x->paragraph != y->paragraph) return x->paragraph < y->paragraph ? -1 : 1;
    if (x->similarity != y->similarity) return x->similarity > y->similarity ? -1 : 1;
    if (x->target != y->target) return x->target < y->target ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* (query document, target, key, chars) for the overlap sums. */
typedef struct ovkey {
    uint32_t doc, target;
    uint64_t key, chars;
} ovkey;

static int cmp_ovkey(const void *a, const void *b) {
    const ovkey *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    if (x->target != y->target) return x->target < y->target ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static int cmp_overlap(const void *a, const void *b) {
    const nd_query_overlap_info *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    if (x->doc_in_target != y->doc_in_target) return x->doc_in_target > y->doc_in_target ? -1 : 1;
    return (x->target > y->target) - (x->target < y->target);
}

/* The index of row id `doc` among the targets (sorted by id in ids). */
static size_t target_of(const int64_t *ids, const size_t *pos, size_t n, int64_t doc) {
    return pos[i64_lower(ids, n, doc)];
}

/* The targets (names read while the snapshot is open), matches of a
 * document with itself left out, orders, per-paragraph ranges, shares and
 * overlaps. */
static nd_status query_finish(nd_index *idx, qwork *w) {
    nd_query *q = w->q;
    nd_status st = ND_OK;
    int64_t *ids = NULL;
    size_t *pos = NULL, nt = 0;
    ovkey *ka = NULL, *kb = NULL;
    /* distinct documents, by row id */
    ids = nd_mallocn(w->nm + 1, sizeof *ids);
    if (!ids) return ND_ERR_NOMEM;
    for (size_t i = 0; i < w->nm; i++) ids[i] = w->m[i].doc;
    qsort(ids, w->nm, sizeof *ids, cmp_i64);
    for (size_t i = 0; i < w->nm; i++)
        if (!nt || ids[i] != ids[nt - 1]) ids[nt++] = ids[i];
    q->targets = nd_calloc(nt + 1, sizeof *q->targets);
    pos = nd_mallocn(nt + 1, sizeof *pos);
    if (!q->targets || !pos) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nt; i++) {
        sqlite3_stmt *s = NULL;
        int r;
        ND_CHECK(stmt(idx, S_DOC_GET, &s));
        sqlite3_bind_int64(s, 1, ids[i]);
        if ((r = step_row(idx, s, &st)) < 0) goto out;
        nd_qtarget *t = &q->targets[q->ntargets++];
        t->id = ids[i];
        if (r == 1) {
            const char *name = (const char *)sqlite3_column_text(s, 0);
            t->path = nd_strdup(name ? name : "");
            t->bytes = (uint64_t)sqlite3_column_int64(s, 1);
            t->paragraphs = (uint64_t)sqlite3_column_int64(s, 2);
            t->chars = (uint64_t)sqlite3_column_int64(s, 3);
            t->comparable = (uint64_t)sqlite3_column_int64(s, 4);
        } else {
            t->path = nd_strdup("");
        }
        sqlite3_reset(s);
        if (!t->path) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    qsort(q->targets, nt, sizeof *q->targets, cmp_target);
    /* ids stay sorted by row id: pos maps each to its sorted place */
    for (size_t i = 0; i < nt; i++) pos[i64_lower(ids, nt, q->targets[i].id)] = i;
    /* a query document is not matched with an indexed one of its name */
    size_t nm = 0;
    unsigned char *used = nd_calloc(nt + 1, 1);
    if (!used) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < w->nm; i++) {
        qmatch m = w->m[i];
        size_t t = target_of(ids, pos, nt, m.doc);
        const nd_qdoc *qd = &q->docs[q->paras[m.m.paragraph].doc];
        if (strcmp(q->targets[t].path, qd->path) == 0) continue;
        m.m.target = (uint32_t)t;
        used[t] = 1;
        w->m[nm++] = m;
    }
    /* drop the targets left without a match, renumbering the others */
    size_t *renum = pos; /* reused: target -> new index */
    size_t kept = 0;
    for (size_t i = 0; i < nt; i++) {
        if (used[i]) {
            renum[i] = kept;
            q->targets[kept++] = q->targets[i];
        } else {
            free(q->targets[i].path);
        }
    }
    free(used);
    q->ntargets = kept;
    q->matches = nd_mallocn(nm + 1, sizeof *q->matches);
    if (!q->matches) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nm; i++) { /* the arena is whole: texts by address */
        q->matches[i] = w->m[i].m;
        q->matches[i].target = (uint32_t)renum[q->matches[i].target];
        q->matches[i].text = q->arena + w->m[i].toff;
    }
    q->nmatches = nm;
    qsort(q->matches, nm, sizeof *q->matches, cmp_match);
    for (size_t i = 0; i < nm;) {
        size_t j = i;
        while (j < nm && q->matches[j].paragraph == q->matches[i].paragraph) j++;
        nd_query_paragraph_info *p = &q->paras[q->matches[i].paragraph];
        p->first_match = i;
        p->matches = j - i;
        p->text = q->arena + q->ptext[2 * (size_t)q->matches[i].paragraph];
        p->text_len = (size_t)q->ptext[2 * (size_t)q->matches[i].paragraph + 1];
        q->docs[p->doc].matched_chars += p->chars;
        i = j;
    }
    /* overlaps: distinct query paragraphs and distinct target paragraphs
     * per (document, target) */
    ka = nd_mallocn(nm + 1, sizeof *ka);
    kb = nd_mallocn(nm + 1, sizeof *kb);
    if (!ka || !kb) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nm; i++) {
        const nd_query_match_info *m = &q->matches[i];
        uint32_t d = q->paras[m->paragraph].doc;
        ka[i] = (ovkey){d, m->target, m->paragraph, q->paras[m->paragraph].chars};
        kb[i] = (ovkey){d, m->target, m->offset, m->chars};
    }
    qsort(ka, nm, sizeof *ka, cmp_ovkey);
    qsort(kb, nm, sizeof *kb, cmp_ovkey);
    q->overlaps = nd_calloc(nm + 1, sizeof *q->overlaps);
    if (!q->overlaps) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    size_t no = 0;
    for (size_t i = 0, j = 0; i < nm;) {
        nd_query_overlap_info *o = &q->overlaps[no++];
        o->doc = ka[i].doc;
        o->target = ka[i].target;
        size_t i1 = i;
        for (; i1 < nm && ka[i1].doc == o->doc && ka[i1].target == o->target; i1++) {
            if (i1 == i || ka[i1].key != ka[i1 - 1].key) o->doc_in_target += ka[i1].chars;
            o->matches++;
        }
        size_t j1 = j;
        for (; j1 < nm && kb[j1].doc == o->doc && kb[j1].target == o->target; j1++)
            if (j1 == j || kb[j1].key != kb[j1 - 1].key) o->target_in_doc += kb[j1].chars;
        i = i1;
        j = j1;
    }
    q->noverlaps = no;
    qsort(q->overlaps, no, sizeof *q->overlaps, cmp_overlap);
out:
    free(ids);
    free(pos);
    free(ka);
    free(kb);
    return st;
}

nd_status nd_index_query(nd_index *idx, const char *path, nd_query **out) {
    nd_status st = ND_OK;
    nd_doctab dt;
    nd_input_cfg cfg;
    nd_reader rd;
    qwork w;
    int began = 0;
    memset(&dt, 0, sizeof dt);
    memset(&w, 0, sizeof w);
    ND_TRY(usable(idx));
    if (!path || !out) return ND_ERR_INVALID;
    if (!(w.q = nd_calloc(1, sizeof *w.q))) return ND_ERR_NOMEM;
    w.q->threshold = idx->opt.threshold;
    input_cfg(idx, &cfg);
    nd_reader_init(&rd, &dt);
    ND_CHECK(nd_input_add_path(&dt, &cfg, path));
    ND_CHECK(exec(idx, "BEGIN")); /* one snapshot: an add may commit meanwhile */
    began = 1;
    ND_CHECK(segs_list(idx, NULL, 0));
    for (size_t d = 0; d < dt.n; d++) {
        st = query_doc(idx, &w, &dt, &rd, d);
        if (st == ND_ERR_CHANGED) {
            (void)nd_doctab_mark_changed(&dt, d);
            st = ND_OK;
            continue;
        }
        ND_CHECK(st);
    }
    ND_CHECK(query_finish(idx, &w));
    nd_doctab_report_changed(&dt, &cfg);
    *out = w.q;
    w.q = NULL;
out:
    if (began) (void)sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
    if (st == ND_ERR_NOMEM && !idx->msg[0]) fail(idx, st, "out of memory");
    nd_query_free(w.q);
    free(w.m);
    free(w.cand);
    nd_reader_release(&rd);
    nd_doctab_release(&dt);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Query accessors                                                           */
/* ------------------------------------------------------------------------ */

nd_status nd_query_threshold(const nd_query *q, double *out) {
    if (!q || !out) return ND_ERR_INVALID;
    *out = q->threshold;
    return ND_OK;
}

size_t nd_query_document_count(const nd_query *q) { return q ? q->ndocs : 0; }

nd_status nd_query_document(const nd_query *q, size_t i, nd_query_doc_info *out) {
    if (!q || !out || i >= q->ndocs) return ND_ERR_INVALID;
    const nd_qdoc *d = &q->docs[i];
    *out = (nd_query_doc_info){.path = d->path,
                               .bytes = d->bytes,
                               .paragraphs = d->paragraphs,
                               .chars = d->chars,
                               .matched_chars = d->matched_chars,
                               .encoding = d->encoding};
    return ND_OK;
}

nd_status nd_query_document_comparable(const nd_query *q, size_t i, uint64_t *out) {
    if (!q || !out || i >= q->ndocs) return ND_ERR_INVALID;
    *out = q->docs[i].comparable;
    return ND_OK;
}

nd_status nd_query_target_comparable(const nd_query *q, size_t i, uint64_t *out) {
    if (!q || !out || i >= q->ntargets) return ND_ERR_INVALID;
    *out = q->targets[i].comparable;
    return ND_OK;
}

size_t nd_query_paragraph_count(const nd_query *q) { return q ? q->nparas : 0; }

nd_status nd_query_paragraph(const nd_query *q, size_t i, nd_query_paragraph_info *out) {
    if (!q || !out || i >= q->nparas) return ND_ERR_INVALID;
    *out = q->paras[i];
    return ND_OK;
}

size_t nd_query_target_count(const nd_query *q) { return q ? q->ntargets : 0; }

nd_status nd_query_target(const nd_query *q, size_t i, nd_query_target_info *out) {
    if (!q || !out || i >= q->ntargets) return ND_ERR_INVALID;
    const nd_qtarget *t = &q->targets[i];
    *out = (nd_query_target_info){
        .path = t->path, .bytes = t->bytes, .paragraphs = t->paragraphs, .chars = t->chars};
    return ND_OK;
}

size_t nd_query_match_count(const nd_query *q) { return q ? q->nmatches : 0; }

nd_status nd_query_match(const nd_query *q, size_t i, nd_query_match_info *out) {
    if (!q || !out || i >= q->nmatches) return ND_ERR_INVALID;
    *out = q->matches[i];
    return ND_OK;
}

size_t nd_query_overlap_count(const nd_query *q) { return q ? q->noverlaps : 0; }

nd_status nd_query_overlap(const nd_query *q, size_t i, nd_query_overlap_info *out) {
    if (!q || !out || i >= q->noverlaps) return ND_ERR_INVALID;
    *out = q->overlaps[i];
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* The report of the whole indexed corpus (nd_index_scan, scan --db)         */
/* ------------------------------------------------------------------------ */

/* An indexed document, in the report's order. */
typedef struct sdoc {
    int64_t id;
    char *file; /* its file's path (owned) */
    char *name; /* its name (owned; moved to the report's document) */
    uint64_t bytes, base;
    int split, gzip;
    char enc[ND_ENC_NAME]; /* "" for utf-8, as the loader leaves it */
} sdoc;

typedef struct scan_load {
    nd_index *idx;
    sdoc *docs;
    size_t n, cap;
    uint64_t *bys; /* the paragraphs with a distinct paragraph: its id << 32 */
    size_t nby;    /* | the paragraph's number (scan_bands) */
} scan_load;

static void scan_load_release(scan_load *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->docs[i].file);
        free(l->docs[i].name);
    }
    free(l->docs);
    free(l->bys);
    l->docs = NULL;
    l->bys = NULL;
    l->n = l->cap = l->nby = 0;
}

static int walk_byte(unsigned char c) { return c == '/' ? 1 : c ? c + 1 : 0; }

/* Paths in the order a walk of their common directory meets them (input.c
 * sorts each directory's names in byte order): component by component, so
 * "a/b" comes before "a.txt". */
static int walk_cmp(const char *a, const char *b) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return walk_byte(*x) - walk_byte(*y);
}

static int cmp_sdoc(const void *a, const void *b) {
    const sdoc *x = a, *y = b;
    int c = walk_cmp(x->file, y->file);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* The indexed documents, in the report's order: by their file's path as a
 * walk orders it, then (the documents of one JSON Lines file or archive)
 * in the order they were read. */
static nd_status scan_docs(nd_index *idx, scan_load *l) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    ND_TRY(stmt(idx, S_SCAN_DOCS, &s));
    while ((r = step_row(idx, s, &st)) == 1) {
        if ((st = ND_GROW(l->docs, l->cap, l->n + 1)) != ND_OK) break;
        sdoc *d = &l->docs[l->n++];
        memset(d, 0, sizeof *d);
        const char *f = (const char *)sqlite3_column_text(s, 1);
        const char *nm = (const char *)sqlite3_column_text(s, 2);
        const char *enc = (const char *)sqlite3_column_text(s, 5);
        d->id = sqlite3_column_int64(s, 0);
        d->file = nd_strdup(f ? f : "");
        d->name = nd_strdup(nm ? nm : "");
        d->bytes = (uint64_t)sqlite3_column_int64(s, 3);
        d->split = sqlite3_column_int(s, 4);
        d->gzip = sqlite3_column_int(s, 6);
        d->base = (uint64_t)sqlite3_column_int64(s, 7);
        if (enc && strcmp(enc, "utf-8") != 0) snprintf(d->enc, sizeof d->enc, "%s", enc);
        if (!d->file || !d->name) {
            st = ND_ERR_NOMEM;
            break;
        }
    }
    sqlite3_reset(s);
    if (r < 0 || st != ND_OK) return st;
    qsort(l->docs, l->n, sizeof *l->docs, cmp_sdoc);
    return ND_OK;
}

/* A segment of a document's offset map (decode.h). */
static nd_status map_seg(nd_decmap *m, uint64_t dec, uint64_t orig, uint32_t n) {
    ND_TRY(ND_GROW(m->seg, m->cap, m->n + 1));
    m->seg[m->n++] = (nd_decmap_seg){dec, orig, n, 1, 0, 0};
    return ND_OK;
}

/* Document d's paragraphs, from paragraph *p on (advanced): the table,
 * characters, states and exact keys, each clusterable paragraph's set id
 * and number in l->bys (for its band keys: scan_bands), and the
 * document's text: byte 0, then each paragraph's text (its
 * own, or its distinct paragraph's when they are the same bytes) and one
 * byte ('\n'), with a map that gives each paragraph's first and end offset
 * as the original offsets the index stores (and the document's original
 * span, base and bytes).  The verification, the similarities and the
 * writers' previews read these texts as they read a file's. */
static nd_status scan_doc(nd_index *idx, scan_load *l, const sdoc *sd, uint32_t d, nd_front_out *fo,
                          size_t *p, nd_doc *doc) {
    sqlite3_stmt *s = NULL;
    nd_status st = ND_OK;
    int r;
    nd_paratab *pt = fo->split.pt;
    size_t tn = 1, tcap = 0;
    uint8_t *text = NULL;
    ND_TRY(map_seg(&doc->map, 0, sd->base, 1));
    ND_TRY(stmt(idx, S_SCAN_PARAS, &s));
    sqlite3_bind_int64(s, 1, sd->id);
    while ((r = step_row(idx, s, &st)) == 1) {
        uint64_t off = (uint64_t)sqlite3_column_int64(s, 0);
        uint64_t len = (uint64_t)sqlite3_column_int64(s, 1);
        int has_set = sqlite3_column_type(s, 4) != SQLITE_NULL;
        int own = sqlite3_column_type(s, 5) != SQLITE_NULL;
        const void *t = sqlite3_column_blob(s, own ? 5 : 6);
        size_t tl = (size_t)sqlite3_column_bytes(s, own ? 5 : 6);
        int64_t sid = sqlite3_column_int64(s, 4);
        if (*p >= pt->cap || *p > UINT32_MAX ||
            (has_set && (sqlite3_column_type(s, 6) == SQLITE_NULL ||
                         sqlite3_column_bytes(s, 7) != 16 || sid <= 0 || sid > UINT32_MAX))) {
            st = fail(idx, ND_ERR_FORMAT, "'%s': a paragraph of '%s' has no text or keys",
                      idx->path, sd->name);
            break;
        }
        if (!has_set && !own) tl = 0; /* (an empty short paragraph) */
        if ((st = ND_GROW(text, tcap, tn + tl + 1)) != ND_OK) break;
        if (tl) memcpy(text + tn, t, tl);
        text[tn + tl] = '\n';
        if ((st = map_seg(&doc->map, tn, off, (uint32_t)tl)) != ND_OK ||
            (st = map_seg(&doc->map, tn + tl, off + len, 1)) != ND_OK)
            break;
        size_t i = (*p)++;
        pt->doc[i] = d;
        pt->off[i] = tn;
        pt->len[i] = (uint32_t)tl;
        pt->line[i] = (uint32_t)sqlite3_column_int64(s, 2);
        fo->split.chars[i] = (uint32_t)sqlite3_column_int64(s, 3);
        fo->split.state[i] = has_set ? ND_PARA_REP : ND_PARA_SHORT;
        if (has_set) {
            const uint8_t *kb = sqlite3_column_blob(s, 7);
            fo->split.ekey[i].high64 = nd_load_le64(kb);
            fo->split.ekey[i].low64 = nd_load_le64(kb + 8);
            l->bys[l->nby++] = (uint64_t)sid << 32 | i;
        }
        tn += tl + 1;
    }
    sqlite3_reset(s);
    if (r >= 0 && st == ND_OK) st = map_seg(&doc->map, tn, sd->base + sd->bytes, 0);
    if (st != ND_OK || r < 0) {
        free(text);
        return st;
    }
    if (!text && !(text = malloc(1))) return ND_ERR_NOMEM;
    text[0] = '\n';
    doc->heap = text;
    doc->data = text;
    doc->size = tn;
    return ND_OK;
}

/* The band keys of the paragraphs in l->bys into fo->bkeys (n1 rows),
 * band by band from the segments, where they are stored (the only place):
 * the band's entries of every segment turned into (set id, key), sorted
 * by set id, and joined with the paragraphs sorted by set id.  Entries of
 * dead sets match no paragraph; a paragraph whose set has no entry in a
 * band is a damaged index. */
static nd_status scan_bands(nd_index *idx, scan_load *l, nd_front_out *fo, size_t n1) {
    const unsigned bands = idx->opt.bands;
    if (!l->nby) return ND_OK;
    ND_TRY(entries_room(idx, l->nby));
    nd_sort_hi32(l->bys, idx->ent_tmp, l->nby);
    ND_TRY(segs_list(idx, NULL, 0));
    for (unsigned j = 0; j < bands; j++) {
        size_t n = 0, e = 0;
        for (size_t g = 0; g < idx->nsegs; g++) ND_TRY(band_load(idx, idx->segs[g], j, &n));
        for (size_t k = 0; k < n; k++) idx->ent[k] = idx->ent[k] << 32 | idx->ent[k] >> 32;
        ND_TRY(entries_room(idx, n));
        nd_sort_hi32(idx->ent, idx->ent_tmp, n);
        for (size_t k = 0; k < l->nby; k++) {
            uint32_t sid = (uint32_t)(l->bys[k] >> 32);
            while (e < n && (uint32_t)(idx->ent[e] >> 32) < sid) e++;
            if (e == n || (uint32_t)(idx->ent[e] >> 32) != sid)
                return fail(idx, ND_ERR_FORMAT,
                            "'%s': distinct paragraph %lu has no band key in band %u", idx->path,
                            (unsigned long)sid, j);
            fo->bkeys[(size_t)j * n1 + (uint32_t)l->bys[k]] = (uint32_t)idx->ent[e];
        }
    }
    return ND_OK;
}

/* scan_hook.h's front, of stages 1 and 2 (sketched): the boxes the index
 * stores, for the driver to run the exact, LSH, verify and cluster stages
 * and the report on, as a scan of the files would. */
static nd_status scan_front(void *user, nd_exec *x, nd_report *r, const nd_split_in *in,
                            nd_front_out *fo) {
    scan_load *l = user;
    nd_index *idx = l->idx;
    nd_doctab *dt = nd_report_doctab(r);
    nd_split_out *so = &fo->split;
    int64_t total = 0;
    ND_UNUSED(x);
    ND_UNUSED(in);
    ND_TRY(scalar(idx, "SELECT count(*) FROM paras", &total));
    size_t np = (size_t)total, n1 = np ? np : 1, nd1 = l->n ? l->n : 1;
    fo->sketched = 1;
    ND_TRY(nd_paratab_reserve(so->pt, n1));
    so->phash = nd_calloc(n1, sizeof *so->phash);
    so->chars = nd_calloc(n1, sizeof *so->chars);
    so->state = nd_calloc(n1, sizeof *so->state);
    so->ekey = nd_calloc(n1, sizeof *so->ekey);
    so->doc_ncut = nd_calloc(nd1, sizeof *so->doc_ncut);
    so->doc_cutline = nd_calloc(nd1, sizeof *so->doc_cutline);
    so->doc_split = nd_calloc(nd1, sizeof *so->doc_split);
    fo->bkeys = nd_calloc(n1, (size_t)idx->opt.bands * sizeof *fo->bkeys);
    l->bys = nd_mallocn(n1, sizeof *l->bys);
    if (!so->phash || !so->chars || !so->state || !so->ekey || !so->doc_ncut || !so->doc_cutline ||
        !so->doc_split || !fo->bkeys || !l->bys)
        return ND_ERR_NOMEM;
    size_t p = 0;
    for (size_t d = 0; d < l->n; d++) {
        sdoc *sd = &l->docs[d];
        nd_doc doc;
        memset(&doc, 0, sizeof doc);
        nd_status st = scan_doc(idx, l, sd, (uint32_t)d, fo, &p, &doc);
        doc.path = sd->name; /* moved */
        sd->name = NULL;
        doc.gzip = (unsigned char)(sd->gzip != 0);
        doc.split = (unsigned char)sd->split;
        memcpy(doc.enc, sd->enc, sizeof doc.enc);
        so->doc_split[d] = (unsigned char)sd->split;
        if (st != ND_OK) {
            free(doc.heap);
            nd_decmap_release(&doc.map);
            free(doc.path);
            return st;
        }
        ND_TRY(nd_doctab_push_doc(dt, &doc));
    }
    so->pt->n = p;
    if (p != np)
        return fail(idx, ND_ERR_FORMAT, "'%s': %zu paragraphs belong to no document", idx->path,
                    np - p);
    ND_TRY(scan_bands(idx, l, fo, n1));
    sqlite3_stmt *s = NULL; /* the inputs the index's walks skipped */
    nd_status st = ND_OK;
    int row;
    ND_TRY(stmt(idx, S_SCAN_SKIPS, &s));
    while ((row = step_row(idx, s, &st)) == 1)
        nd_skiplist_add(&fo->skips, (const char *)sqlite3_column_text(s, 0),
                        (nd_status)sqlite3_column_int(s, 1), sqlite3_column_int(s, 2),
                        (const char *)sqlite3_column_text(s, 3));
    sqlite3_reset(s);
    if (row < 0) return st;
    return fo->skips.nomem ? ND_ERR_NOMEM : ND_OK;
}

nd_status nd_index_scan(nd_index *idx, const nd_options *opt, nd_report **out) {
    nd_status st = ND_OK;
    nd_scanner *sc = NULL;
    scan_load l = {.idx = idx};
    if (!idx || !out) return ND_ERR_INVALID;
    *out = NULL;
    ND_TRY(usable(idx));
    nd_options o = idx->opt; /* what is compared: the index's */
    if (opt) {               /* how the run goes and what the report counts: the caller's */
        if (opt->passages)
            return fail(idx, ND_ERR_INVALID, "'%s' holds no passages (the index has none yet)",
                        idx->path);
        o.threads = opt->threads;
        o.memory_limit = opt->memory_limit;
        o.common_docs = opt->common_docs;
        o.max_file_size = opt->max_file_size;
    }
    ND_TRY(exec(idx, "BEGIN")); /* one snapshot, while a writer may work */
    ND_CHECK(scan_docs(idx, &l));
    ND_CHECK(nd_scanner_new(&o, &sc));
    nd_scanner_set_diag(sc, idx->diag, idx->diag_user);
    ND_CHECK(nd_scanner_run_front(sc, scan_front, &l, out));
out:
    (void)sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
    nd_scanner_free(sc);
    scan_load_release(&l);
    return st;
}
