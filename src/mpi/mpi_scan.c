/*
 * mpi_scan.c - `mpirun -n N neardup-mpi scan|clean [options] PATH...`: the
 * scan of one machine with its stages shared out among MPI ranks - split,
 * sketch, exact, LSH and verify, the clusters and the similarities, and
 * with --passages the fingerprints, seeds and alignments; rank 0 runs the
 * cluster stage (and the passages' records) on what the ranks found and
 * writes the report (or the cleaned copy).  What is not shared yet is
 * listed at the end.
 *
 * What.  Every rank runs the same command line.  Each walks the paths, so
 * each holds the same document table - sorted paths, dense ids - and
 * computes the same shares: contiguous runs of the documents' bytes,
 * balanced (share_bounds: rank r's share starts at byte all x r / N of
 * them; a plain file of ND_CUT_MIN bytes or more that holds such a start
 * is cut there, at the next paragraph boundary - the start of the first
 * blank line at or after it, nd_split_cut, which both neighbours find in
 * the same bytes - and any other document goes whole to the share holding
 * its middle byte).  Rank r splits and sketches its share with the
 * single-process stage files - nd_stage_split restricted to documents
 * [doc_first, doc_end) and, in a cut first or last one, to the bytes
 * between its cut points (first_at, end_at), of which it reads only its
 * piece (nd_split_in.pieces: the windows that find its two cut points, the
 * piece, and the file's first bytes that settle the auto split mode, the
 * same bytes on every rank - nd_split_detect_prefix; nd_split_piece splits
 * the piece alone, and the lines of the pieces before it, summed over the
 * ranks, number its lines; the pieces' paragraphs are exactly the whole
 * text's, so ids stay those of a single split), fused with the sketch when
 * it can, else
 * nd_stage_sketch over those paragraphs, in batches spilled to disk when
 * the share's band keys pass --memory - on its own threads.  Exact keys and
 * band keys go all-to-all by key hash, and each rank groups the keys it
 * owns with nd_stage_exact and nd_stage_lsh.  Each candidate pair goes to
 * the rank that split one of its paragraphs (which one, a hash of the pair
 * decides: pair_owner), which verifies it with nd_stage_verify, reading
 * both texts from the shared filesystem (checked against the hash each row
 * carries).  The clusters are the components of the copies' links and the
 * passing pairs: each rank reduces its own edges to a star forest (the
 * union-find of cluster.c over the ids they name), and forests are merged
 * up a binomial tree, so rank 0 ends with one edge (representative,
 * member) per clustered paragraph and no candidate pair.  Each of those
 * goes back to the rank that verified that pair if it was a candidate,
 * which answers the member's similarity as the cluster stage would.  Rank
 * 0 receives the paragraph rows (32 bytes each) into a file, the report's
 * paragraph counts reduced from the ranks, the forest and the
 * similarities; it keeps in memory the rows of the clusters' members only
 * (read back from the file), renumbered densely, and hands them to the
 * unchanged driver (nd_scanner_run_front, scan_hook.h), whose cluster stage
 * orders the clusters and finds every similarity among the pairs it is
 * given, and whose report is "sparse" (report.h, nd_report_set_sparse): it
 * holds those rows, takes the counts as given, and reads any other
 * paragraph a writer asks for (--emit-paragraphs) from the file; the
 * report is written by the existing writers.  No stage has a second
 * implementation, so the report is the one `neardup scan` writes, byte for
 * byte, in every format, and `neardup-mpi clean` writes `neardup clean`'s
 * tree and log from the same sparse report (clean.c reads every row by id,
 * nd_report_row; tests/mpi/run.sh: 1, 2, 3 and 4 ranks).
 *
 * Why the same stages give the same answer.  Paragraph ids are dense and
 * ordered by (document, offset), and shares are contiguous runs of
 * documents, so rank r's rows are ids base_r .. base_r + n_r - 1: placing
 * them needs no sort, and what a rank receives from ranks 0, 1, ... in turn
 * is in ascending id order.  An exact key's group lands whole on one rank
 * in one round, in id order, so nd_stage_exact over the received keys marks
 * the same copies and the same first paragraphs (the union-find's root is
 * the smallest id) as over all of them.  A band's bucket - one (band, key)
 * - lands whole on one rank too; each sender sends its entries (key << 32 |
 * id) per band sorted, as the spilled sketch does (nd_sort_hi32, or a
 * spilled batch's run read back), so a rank receives sorted runs like the
 * spilled path's, one per (sub-round, sender, band), and nd_stage_lsh's
 * merge of them yields each bucket's entries in the order of a
 * single-process sort (entries are distinct), hence the same pairs.  Every
 * copy of a pair goes to the same verifier, which sorts its pairs and drops
 * repeats (nd_pairs_finish), so the union over the ranks is the
 * single-process candidate set.  Components do not depend on the order of
 * unions, and a star forest of a union of star forests is the star forest
 * of the union of their graphs, so the tree merge ends with each paragraph
 * under its component's smallest id - the single process's root.  A
 * similarity is 1 for equal exact keys, else the Jaccard of two texts under
 * the options wherever it is computed: the verifier's verdict when the pair
 * was a candidate (the cluster stage looks it up there too), else
 * nd_stage_verify's Jaccard of the two sets, the function the cluster stage
 * uses (0 for a text that no longer reads back, in both).
 *
 * The exchange, in order (all collective on the communicator):
 *   1. ready vote (MPI_Iallreduce MIN of 1; a rank that failed before the
 *      run votes 0 in nd_mpi_scan_skip, and every rank returns);
 *   2. each rank splits and sketches its share; status vote (MAX of its
 *      nd_status): any failure stops every rank together; MPI_Iallgather
 *      of the lines of the piece of a cut document each share ends in (8
 *      bytes a rank): a rank whose share starts inside a cut document adds
 *      the lines of the pieces before its own to its rows' lines there
 *      (shift_lines);
 *   3. MPI_Allgather of the row counts: every rank knows every share's ids
 *      (the total must stay below 2^32 - 1, the paragraph id's width); rank
 *      0 opens its rows file (under --tmpdir); vote;
 *   4. per document, MPI_Reduce to rank 0: paragraphs cut (SUM), the line
 *      of the first cut (MIN of the non-zero ones: the pieces of a cut
 *      file), the split mode used (MAX) and the changed flag (MAX) - each
 *      is non-zero only on the ranks that split it; and
 *      the report's paragraph counts (nd_report_count over each rank's
 *      rows: per document paragraphs, characters and comparable
 *      characters, for the corpus characters, short paragraphs and
 *      comparable characters; SUM);
 *   5. exact keys of the representatives, 24 bytes each (low64, high64,
 *      id), to rank exact_owner(key), in rounds that are slices of the key
 *      hash (key_round; EXACT_KEY_BYTES a key against round_budget); each
 *      rank runs nd_stage_exact on what it got and sends each copy's (copy
 *      << 32 | first) back to the rank owning the copy, which marks it
 *      ND_PARA_COPY and keeps the link;
 *   6. band keys of the representatives, 8 bytes each (key << 32 | id), to
 *      rank band_owner(band, key), in rounds bounded by --memory
 *      (plan_rounds: round_budget - a quarter of --memory, at most
 *      ND_ROUND_MAX - for a round's entries, their copy to send, what is
 *      received and sort scratch: several bands a round when they fit,
 *      else one band of one sub-round of rows, or of one spilled batch);
 *      each rank appends every (sub-round, sender, band) chunk to its spill
 *      file (unlinked, under --tmpdir) as a run, and nd_stage_lsh merges the
 *      runs band by band into its pairs;
 *   7. candidate pairs (8 bytes each) to their verifier, the rank owning
 *      their first or their second paragraph as a hash of the pair picks
 *      (a paragraph copied all over the corpus is the first member of
 *      every pair its earliest copy is in: always picking the first would
 *      load the first ranks), which sorts them and drops repeats;
 *   8. paragraph rows to rank 0, rank by rank in rank order (at most
 *      ROWS_MSG_BYTES a message, or round_budget when smaller); rank 0
 *      copies its own through the same packing, and appends them all to
 *      its rows file in id order;
 *   9. the request round: each rank asks the owners of the paragraphs its
 *      pairs name and it did not split for their rows (8 bytes an id out;
 *      24 back: offset, document, length, hash, line), then runs
 *      nd_stage_verify on a table of just the paragraphs its pairs name
 *      (handed to its own report, which the driver replaces), the pairs
 *      renumbered into it - the renumbering is monotonic, so the order
 *      holds; the candidate and passing counts are summed to rank 0;
 *  10. the clusters: each rank's star forest of its copies' (first, copy)
 *      and its passing pairs; for s = 1, 2, 4, ... rank r + s sends its
 *      forest (8 bytes an edge) to rank r when r is a multiple of 2s, which
 *      makes the star forest of the two (merge_forests); rank 0 reads the
 *      rows of the forest's vertices back from its file (hold_rows) and
 *      sets each member's link to its representative;
 *  11. the similarities: rank 0 sends each forest edge (root << 32 |
 *      member) to pair_owner of it; that rank asks the exact key of the
 *      side it did not split of its rank (8 bytes out, 16 back), answers 1
 *      for equal keys, else its verdict's Jaccard, else runs step 9's
 *      verification on the pairs that were no candidates; the answers (16
 *      bytes) go to rank 0, which merges the ranks' ascending runs (and
 *      renumbers them as the rows it holds);
 * 11b. with --passages, the passage stages (passages_share): each rank
 *      fingerprints the whole documents whose first byte its share holds
 *      (passage_docs; nd_stage_fingerprint with nd_fp_exchange, stage.h);
 *      MPI_Allgather of each rank's 257 bucket starts, then its
 *      fingerprints (24 bytes each, about 2 / (w + 1) a normalised
 *      character: 1 in 19 with the default --min-passage 50) all-to-all
 *      to the rank grouping their bucket (a contiguous range of the 256
 *      buckets a rank), which receives them in rank order, so in document
 *      order as the single process gathers them; the seeds its groups
 *      give (20 bytes each) all-to-all to the rank that fingerprinted one
 *      of the pair's two documents, as a hash of the pair picks
 *      (pair_aligner), which sorts them (so the lone-seed rule sees all of
 *      a pair's), keeps the texts of the other documents its seeds name
 *      (read again from the shared filesystem and normalised once each),
 *      and aligns its pairs (nd_stage_align); vote; the documents'
 *      normalised characters (MPI_Reduce SUM: each is counted by one rank)
 *      and every rank's pairwise passages (88 bytes each, point to point)
 *      to rank 0, which sorts them by pair, stably (each pair's are one
 *      rank's, in its alignment's order), and whose driver makes the
 *      records (nd_stage_passage) and their lines;
 *  12. the changed flags again (MAX to rank 0: steps 9, 11 and 11b read
 *      texts).
 * All-to-alls are MPI_Ialltoallv with byte counts; the collectives are
 * non-blocking calls completed by wait_req, which polls with a 1 ms sleep,
 * so a waiting rank does not spin on a core another rank needs (this
 * matters on an oversubscribed node, and while rank 0 runs the last stages
 * the others wait in an MPI_Ibarrier the same way).
 *
 * On-wire paragraph row to rank 0, as its rows file holds it too (report.h,
 * nd_row_pack; host byte order: the ranks must share one architecture),
 * ROW_BYTES = 32:
 *     0  u64 offset of the paragraph in its document's text
 *     8  u32 document id          12  u32 length in bytes
 *    16  u32 line                 20  u32 hash of its bytes (phash)
 *    24  u32 normalised chars     28  u8  state (ND_PARA_*), 3 zero bytes
 * Traffic per paragraph, with the default 18 bands: 32 bytes to rank 0, 24
 * for its exact key and up to 18 x 8 = 144 for its band entries (a
 * representative's) to the key owners - (N - 1) / N of them leave the
 * rank; per candidate pair 8 bytes for each bucket that found it and 8 +
 * 24 for a row asked of another rank; per clustered paragraph 8 bytes an
 * edge per level of the tree it climbs (at most log2 N), 8 to its
 * similarity's rank, 8 + 16 for an exact key asked, 16 back to rank 0
 * (bench/README.md, "MPI scale-out", measures it).  With --passages, per
 * normalised character 24 x 2 / (w + 1) bytes of fingerprints (1.3 with the
 * default --min-passage 50), per seed 20, per pairwise passage 88 to rank
 * 0, and per document 8 (its characters), (N - 1) / N of each leaving the
 * rank; plus the other ranks' documents a rank's pairs name, read again
 * from the shared filesystem.
 *
 * Memory, per rank (what --memory bounds).  A rank reads a piece of a cut
 * document as the split stage reads a whole one: into its reader's buffer,
 * or past ND_WHOLE_MAX bytes copied to an unlinked private file under
 * --tmpdir and mapped, so anonymous memory stays bounded; the auto mode's
 * prefix is held while it is decided (at most ND_WHOLE_MAX bytes, then the
 * whole file goes the private file's way).  A rank holds its share's rows
 * (paragraph table, hash, characters, state, exact key, link: 49 bytes a
 * paragraph) and, while they fit in --memory with the sort buffers, the
 * share's band keys (72 bytes a paragraph); past that the share is
 * sketched in batches spilled as sorted runs, a batch no larger than a
 * round, as a single process spills (scan.c, plan_memory).  Each exchange
 * round holds at most round_budget bytes of entries, scratch and receipts;
 * received band entries go to the spill file, and the LSH merge reads them
 * through buffers sized by --memory.  What grows past --memory: the
 * candidate pairs a rank's buckets give and those it verifies (8 bytes, and
 * 9 for a verdict, a pair), the forest a rank merges (8 bytes a clustered
 * paragraph of the ranks below it in the tree) and, on rank 0, what the
 * clusters' members need.  Rank 0 holds, besides its own share and the
 * per-document arrays every rank has, nothing per paragraph of the run:
 * the rows go to its rows file (32 bytes a paragraph, on disk under
 * --tmpdir), through a buffer of at most round_budget bytes, and the
 * report reads them back in blocks of ND_ROW_BLOCK rows; per clustered
 * paragraph (a vertex of the forest) its row with its id and link (41
 * bytes), the union-find, cluster and similarity (20), a forest edge and
 * a similarity pair (24) and, while the cluster stage runs, its scratch
 * (about 30): about 115 bytes, not bounded by --memory; nothing per
 * candidate pair.  (It held 54 bytes a paragraph of the run before the
 * report was sparse: bench/README.md, "MPI scale-out".)  clean plans and
 * writes from the sparse report: it reads the members' rows from memory
 * and every other paragraph's row - each document's, to check it against
 * its hash when the document is read again - from the rows file in id
 * order, a block at a time; on top of the scan's it holds a record per
 * removal (40 bytes; the removed paragraphs are clustered ones) and a few
 * words per document.  (Before, clean made rank 0 hold every row, 54
 * bytes a paragraph: bench/README.md, "clean from the sparse report".)
 * With --passages a rank holds, as a single process does for the whole
 * corpus, its documents' fingerprints and normalised texts (the texts in
 * memory up to a quarter of --memory, the rest in its spill files) and
 * those of the other documents its pairs name, the fingerprints of its
 * buckets while they are grouped, and its seeds; rank 0 also holds every
 * pairwise passage and the records (proportional to the copied passages,
 * not to the paragraphs).  (Before, rank 0 held every row, 54 bytes a
 * paragraph, and ran the passage stages alone.)
 *
 * Errors.  MPI errors abort the job (MPI_ERRORS_ARE_FATAL, the default), and
 * so does running out of memory in the middle of an exchange (must()): the
 * other ranks are already in it.  Every other nd_status failure on any rank
 * is voted so that every rank leaves the run together; rank 0 prints it.
 * A rank whose driver fails before it reaches the front (its set-up) casts
 * the vote of step 2 in nd_mpi_scan_run instead (not exercised by a test).
 * An exchange whose counts would pass INT_MAX bytes on any rank is refused
 * on all (ND_ERR_INVALID; more ranks, or a lower --memory for the rounds,
 * needed).  Standard input ('-') is refused: only rank 0 would read it.
 *
 * Not shared out yet (issue 16 asks for them):
 *   - the report's clusters: rank 0 orders them and computes their
 *     statistics and the document-pair overlaps alone, holding what the
 *     clusters' members need (above) - the clusters are not spilled, so
 *     --memory bounds rank 0 only as far as the clustered paragraphs fit;
 *     likewise the pairwise passages and the records of --passages, and
 *     the documents' lines of the passages' places, which rank 0 reads;
 *   - every rank walks every path: for plain UTF-8 files that is metadata
 *     and the first 8 KiB of each, but documents in other encodings, gzip
 *     data, JSON Lines and archives are decoded by every rank's walk (into
 *     each rank's private spool), so for such inputs the read stage is not
 *     shared; a listing made once would have to carry each file's identity
 *     (device, inode, time), which differs between the nodes of a shared
 *     filesystem, so each rank would still have to look at every file it
 *     reads;
 *   - reading a cut file is shared, but not perfectly: each rank that
 *     splits a piece of it also reads the file's first bytes, as many as
 *     the auto split mode needs (a prefix doubled from 64 KiB until it
 *     settles the decision: usually a few hundred KiB; past ND_WHOLE_MAX
 *     bytes unsettled - a file whose first 64 MiB hold no second block or
 *     fewer votes than settle it - the whole file, as before), and a
 *     window of at least 64 KiB past each of its two nominal bounds to find
 *     the cut points (the rest of the file when no blank line follows).
 *     Decoded documents (other encodings, gzip data, JSON Lines records,
 *     archive members) are never cut;
 *   - --passages: one document is fingerprinted and aligned by one rank
 *     (a cut file's pieces are not: the whole file's text is needed), the
 *     fingerprints go in one all-to-all (not in rounds bounded by
 *     --memory; nor are a single process's, stage_fingerprint.c), and a
 *     rank normalises the other documents its pairs name once each even
 *     when another rank holds them normalised (reading them again from the
 *     shared filesystem, rather than receiving 2-4 bytes a character);
 *   - clean plans and writes the whole cleaned copy and its log on rank 0:
 *     it reads every document again (and every row from its rows file),
 *     checks it and writes it, alone.  Sharing that out would have each
 *     rank write the documents of its share (a cut one by one rank, reading
 *     the rows of the others' pieces) from its rows and the removals rank 0
 *     plans and scatters, into the temporary tree rank 0 makes, with the
 *     log, the changed files' notices (in document order) and the rename
 *     left to rank 0;
 *   - messages of the shared scan code say "neardup:", and per-document
 *     notices of the split (paragraphs cut) come from rank 0 after the
 *     gather, in document order, as in a single process.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mpi_scan.h"
#include "nd_internal.h"
#include "report.h"
#include "scan_hook.h"
#include "stage.h"

#define ROW_BYTES      ND_ROW_BYTES      /* a paragraph row to rank 0 (report.h) */
#define ROWS_MSG_BYTES ((size_t)8 << 20) /* bytes of rows per message, at most */
#define PAIRS_MSG      ((size_t)1 << 20) /* pairs per message, at most */
/* A band-key round's bytes at most, below --memory's quarter: fewer, larger
 * rounds save latency, but each byte of a round is held three times over
 * (entries, their sort scratch, what is received) on top of the band keys
 * themselves, so 32 MiB rounds keep a rank's peak near a single process's. */
#define ND_ROUND_MAX   ((uint64_t)32 << 20)
#define ND_TAG_ROWS    1601
#define ND_TAG_PAIRS   1602
#define ND_TAG_FOREST  1604

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

/* CPU seconds of the process so far, all threads (user + system). */
static double cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Bytes the process has passed to read() and pread() so far (rchar of
 * /proc/self/io; 0 where there is none). */
static uint64_t read_chars(void) {
    char line[128];
    uint64_t v = 0;
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "rchar:", 6) == 0) {
            v = strtoull(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Completes req, sleeping 1 ms between tests, so that a waiting rank does
 * not spin on a core another rank needs. */
static void wait_req(MPI_Request *req) {
    int done = 0;
    struct timespec ms = {0, 1000000};
    for (;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        nanosleep(&ms, NULL);
    }
}

/* The vote of step 1: 1 ready, 0 not; returns the minimum. */
static int ready_vote(nd_mpi_ctx *c, int ready) {
    int all = 0;
    MPI_Request req;
    MPI_Iallreduce(&ready, &all, 1, MPI_INT, MPI_MIN, c->comm, &req);
    wait_req(&req);
    return all;
}

/* A status vote: every rank's st, the largest (ND_OK = 0 when all are). */
static nd_status status_vote(nd_mpi_ctx *c, nd_status st) {
    int mine = (int)st, worst = 0;
    MPI_Request req;
    MPI_Iallreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, c->comm, &req);
    wait_req(&req);
    return st != ND_OK ? st : (nd_status)worst;
}

void nd_mpi_scan_skip(nd_mpi_ctx *c) {
    if (!c->entered) (void)ready_vote(c, 0);
    c->entered = 1;
}

/* An allocation the other ranks cannot wait out: the job ends. */
static void *must(nd_mpi_ctx *c, void *p) {
    if (!p) {
        fprintf(stderr, "neardup-mpi: rank %d: out of memory in an exchange\n", c->rank);
        MPI_Abort(c->comm, 3);
    }
    return p;
}

/* A document this large, read from its file as it is (no decoder, no
 * container), is cut across ranks at paragraph boundaries when a share's
 * end falls inside it; a smaller or decoded one goes whole to the rank
 * that holds its middle byte. */
#define ND_CUT_MIN ((uint64_t)1 << 20)

static int cuttable(const nd_doc *d) {
    return !d->data && !d->spooled && !d->gzip && d->map.n == 0 && !d->esc.on && !d->cont &&
           d->size >= ND_CUT_MIN;
}

/* Where a share starts: document doc, from byte off (0: the whole of it;
 * else from the cut point at or after off, nd_split_cut). */
typedef struct share_at {
    size_t doc;
    uint64_t off;
    uint64_t pos; /* the same place in all the documents' bytes */
} share_at;

/* at[0 .. size]: rank r's share runs from at[r] to at[r + 1], contiguous
 * and balanced by bytes (rank r's nominal start is byte all x r / size of
 * the documents' bytes, kept inside a cuttable document, else moved to the
 * start of the document that holds it or of the next one, whichever holds
 * less of it); the same on every rank. */
static void share_bounds(const nd_doctab *docs, int size, share_at *at) {
    uint64_t total = 0, start = 0;
    for (size_t d = 0; d < docs->n; d++) total += docs->docs[d].size;
    size_t d = 0;
    at[0] = (share_at){0, 0, 0};
    for (int r = 1; r <= size; r++) {
        uint64_t b = total / (uint64_t)size * (uint64_t)r +
                     total % (uint64_t)size * (uint64_t)r / (uint64_t)size;
        while (d < docs->n && start + docs->docs[d].size <= b && r < size)
            start += docs->docs[d++].size;
        if (r == size || d == docs->n) {
            at[r] = (share_at){docs->n, 0, total};
            continue;
        }
        const nd_doc *doc = &docs->docs[d];
        uint64_t in = b - start; /* b is inside document d: start <= b < its end */
        if (in && cuttable(doc))
            at[r] = (share_at){d, in, b};
        else if (in > doc->size / 2) /* its middle is before b: it stays before */
            at[r] = (share_at){d + 1, 0, start + doc->size};
        else
            at[r] = (share_at){d, 0, start};
    }
}

/* Which rank groups an exact key, and band j's key (a multiply-shift mix,
 * so that ranges of keys spread). */
static int exact_owner(const XXH128_hash_t *k, int size) {
    return (int)(((k->low64 ^ k->high64) * UINT64_C(0x9E3779B97F4A7C15) >> 32) % (uint64_t)size);
}
static int band_owner(unsigned j, uint32_t key, int size) {
    uint64_t h = ((uint64_t)key << 8 | j) * UINT64_C(0xD6E8FEB86659FD93);
    return (int)((h >> 32) % (uint64_t)size);
}

/* The rank whose share holds paragraph id p (base[0 .. size], ascending). */
static int id_owner(const uint64_t *base, int size, uint64_t p) {
    int lo = 0, hi = size - 1;
    while (lo < hi) { /* the last rank r with base[r] <= p */
        int mid = (lo + hi + 1) / 2;
        if (base[mid] <= p)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* This rank's rows, as its split and sketch made them. */
typedef struct local_rows {
    size_t n, n1;
    uint64_t base;   /* the id of its first row */
    nd_paratab pt;   /* its paragraphs (global document ids) */
    uint32_t *phash; /* their hashes (nd_report_fetch checks them) */
    uint32_t *chars;
    unsigned char *state;
    XXH128_hash_t *ekey;
    uint32_t *bkeys;             /* band-major, n1 rows (NULL once spilled) */
    nd_spill spill;              /* spilled (the share's band keys past --memory): */
    nd_run *runs;                /* nbatches x bands sorted runs of (key << 32 | row) */
    size_t nbatches, batch_rows; /* (row: in the share, from 0) */
    int spilled;
    uint32_t *link;           /* global ids: the first of its exact group, or itself */
    size_t *doc_ncut;         /* per document of the run (zero outside the share): */
    uint32_t *doc_cutline;    /* the split's notices, */
    unsigned char *doc_split; /* and the split mode used */
    uint32_t end_lines;       /* the lines of its last piece of a cut document */
} local_rows;

static void local_rows_release(local_rows *l) {
    if (!l) return;
    nd_spill_close(&l->spill);
    free(l->runs);
    nd_paratab_release(&l->pt);
    free(l->phash);
    free(l->chars);
    free(l->state);
    free(l->ekey);
    free(l->bkeys);
    free(l->link);
    free(l->doc_ncut);
    free(l->doc_cutline);
    free(l->doc_split);
    memset(l, 0, sizeof *l);
    l->spill.fd = -1;
}

/* A band-key round's bytes at most (step 6): a quarter of --memory, at
 * most ND_ROUND_MAX, at least 64 KiB. */
static uint64_t round_budget(const nd_split_in *in) {
    return ND_MAX(ND_MIN(in->limit / 4, ND_ROUND_MAX), (uint64_t)1 << 16);
}

/* Rows a message of step 8 carries at most (ROWS_MSG_BYTES, or a round's
 * budget when --memory makes that smaller: rank 0's buffer for them). */
static size_t rows_per_msg(const nd_split_in *in) {
    return (size_t)ND_MIN((uint64_t)ROWS_MSG_BYTES, round_budget(in)) / ROW_BYTES;
}

/* Bytes a row's band entry costs in a round: the entry, its copy in the
 * send buffer, what is received for it, and sort scratch. */
#define ROUND_ENTRY_BYTES 32u

/* The paragraph table r holds, taken into l: the verification hands r
 * tables of its own (nd_report_set_paragraphs), and the rank still answers
 * for its rows after that. */
static void take_paragraphs(nd_report *r, local_rows *l) {
    nd_paratab_release(&l->pt);
    free(l->phash);
    l->pt = r->pt;
    memset(&r->pt, 0, sizeof r->pt);
    l->phash = r->phash;
    r->phash = NULL;
}

/* Step 2: splits and sketches documents [d0, d1) - of d0 only from its
 * cut point at or after byte a, of d1 - 1 only up to its cut point at or
 * after byte b (0: all of it) - with the stage files into *l (its
 * paragraph table too, which passes through r while nd_stage_sketch reads
 * it); bytes: the share's. */
static nd_status split_share(nd_exec *x, nd_report *r, const nd_split_in *in, size_t d0, size_t d1,
                             uint64_t a, uint64_t b, uint64_t bytes, local_rows *l,
                             uint64_t *read) {
    nd_status st = ND_OK;
    nd_doctab *docs = nd_report_doctab(r);
    unsigned bands = in->sk.bands;
    nd_paratab pt;
    nd_split_out sp;
    memset(&pt, 0, sizeof pt);
    memset(&sp, 0, sizeof sp);
    uint64_t saved = x->input_bytes;
    size_t nd1 = docs->n ? docs->n : 1;
    sp.pt = &pt;
    if (d1 > d0) {
        nd_split_in in2 = *in;
        in2.doc_first = d0;
        in2.doc_end = d1;
        in2.first_at = a;
        in2.end_at = b;
        in2.pieces = 1;         /* a cut document: only its piece is read */
        x->input_bytes = bytes; /* the split's ranges and progress: the share */
        uint64_t r0 = read_chars();
        st = nd_stage_split(x, &in2, &sp);
        *read = read_chars() - r0;
        x->input_bytes = saved;
        ND_CHECK(st);
    } else { /* an empty share: no paragraphs */
        sp.doc_ncut = nd_calloc(nd1, sizeof *sp.doc_ncut);
        sp.doc_cutline = nd_calloc(nd1, sizeof *sp.doc_cutline);
        sp.doc_split = nd_calloc(nd1, sizeof *sp.doc_split);
        if (!sp.doc_ncut || !sp.doc_cutline || !sp.doc_split) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    l->end_lines = sp.end_lines;
    l->doc_ncut = sp.doc_ncut;
    l->doc_cutline = sp.doc_cutline;
    l->doc_split = sp.doc_split;
    sp.doc_ncut = NULL;
    sp.doc_cutline = NULL;
    sp.doc_split = NULL;
    l->n = pt.n;
    l->n1 = pt.n ? pt.n : 1;
    l->link = nd_mallocn(l->n1, sizeof *l->link);
    if (!l->link) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_report_set_paragraphs(r, &pt, sp.phash, l->doc_split);
    sp.phash = NULL;
    if (sp.fused) { /* keys staged per range, band-major: into one block */
        if (!(l->bkeys = nd_calloc(l->n1, (size_t)bands * sizeof *l->bkeys))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        l->chars = sp.chars;
        l->state = sp.state;
        l->ekey = sp.ekey;
        sp.chars = NULL;
        sp.state = NULL;
        sp.ekey = NULL;
        for (size_t t = 0; t < sp.nranges; t++) {
            const nd_range_sketch *k = &sp.rsk[t];
            size_t base = sp.range_base[t];
            for (unsigned j = 0; j < bands; j++)
                if (k->n)
                    memcpy(l->bkeys + (size_t)j * l->n1 + base, k->bk + (size_t)j * k->n,
                           k->n * sizeof *l->bkeys);
        }
    } else {
        l->chars = nd_calloc(l->n1, sizeof *l->chars);
        l->state = nd_calloc(l->n1, sizeof *l->state);
        l->ekey = nd_calloc(l->n1, sizeof *l->ekey);
        if (!l->chars || !l->state || !l->ekey) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        /* the share's band keys past --memory: sketched in batches whose
         * keys are sorted per band and spilled as runs, as a single
         * process does (scan.c, plan_memory), a batch no larger than a
         * round can carry */
        uint64_t row_keys = (uint64_t)bands * sizeof *l->bkeys;
        l->batch_rows = l->n1;
        if ((uint64_t)l->n * (row_keys + 16u * x->threads) > in->limit) {
            uint64_t rows =
                ND_MIN(in->limit / (row_keys + 16u), round_budget(in) / ROUND_ENTRY_BYTES);
            l->batch_rows = (size_t)ND_MIN(ND_MAX(rows, (uint64_t)64), (uint64_t)l->n1);
            int err = 0;
            ND_CHECK(nd_spill_open(&l->spill, in->tmpdir, &err));
            l->spilled = 1;
        }
        if (!(l->bkeys = nd_calloc(l->batch_rows, (size_t)bands * sizeof *l->bkeys))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        nd_sketch_in skin = {.r = r,
                             .sk = in->sk,
                             .batch_rows = l->batch_rows,
                             .spill = l->spilled ? &l->spill : NULL};
        nd_sketch_out skout = {
            .chars = l->chars, .state = l->state, .ekey = l->ekey, .bkeys = l->bkeys};
        x->input_bytes = bytes;
        st = nd_stage_sketch(x, &skin, &skout);
        x->input_bytes = saved;
        l->runs = skout.runs;
        l->nbatches = skout.nbatches;
        ND_CHECK(st);
        if (l->spilled) { /* the keys are in the runs */
            free(l->bkeys);
            l->bkeys = NULL;
        }
    }
out:
    take_paragraphs(r, l);
    nd_paratab_release(&pt);
    nd_split_out_release(&sp);
    return st;
}

/* Step 2, the end: the lines before this rank's first piece of a cut
 * document - the sum of the lines of the pieces before it, on the ranks
 * below (at: every share's bounds; each rank tells the lines of the piece
 * its share ends in) - added to its rows' lines there and to the line of
 * its first paragraph cut at --max-paragraph-bytes. */
static void shift_lines(nd_mpi_ctx *c, const share_at *at, local_rows *l) {
    uint64_t mine = l->end_lines, before = 0;
    uint64_t *all = must(c, nd_mallocn((size_t)c->size, sizeof *all));
    MPI_Request req;
    MPI_Iallgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, c->comm, &req);
    wait_req(&req);
    const share_at *a = &at[c->rank];
    if (a->off) {
        for (int q = c->rank - 1; q >= 0 && at[q + 1].doc == a->doc && at[q + 1].off; q--)
            before += all[q];
        for (size_t i = 0; i < l->n && l->pt.doc[i] == a->doc; i++)
            l->pt.line[i] += (uint32_t)before;
        if (l->doc_cutline[a->doc]) l->doc_cutline[a->doc] += (uint32_t)before;
    }
    free(all);
}

/* One all-to-all of `size`-byte records: send[] holds cnt[k] records for
 * rank k, in rank order; *recv (allocated) receives rcnt[k] from rank k, in
 * rank order.  Counts over INT_MAX bytes are refused on every rank alike
 * (ND_ERR_INVALID: more ranks are needed). */
static nd_status all_to_all(nd_mpi_ctx *c, const void *send, const uint64_t *cnt, size_t size,
                            void **recv, uint64_t *rcnt) {
    int n = c->size;
    int *sc = must(c, nd_mallocn((size_t)n * 4, sizeof *sc));
    int *sd = sc + n, *rc = sc + 2 * n, *rd = sc + 3 * n;
    uint64_t stot = 0, rtot = 0;
    MPI_Alltoall(cnt, 1, MPI_UINT64_T, rcnt, 1, MPI_UINT64_T, c->comm);
    for (int k = 0; k < n; k++) {
        stot += cnt[k] * size;
        rtot += rcnt[k] * size;
    }
    int big = stot > (uint64_t)INT_MAX || rtot > (uint64_t)INT_MAX, any = 0;
    MPI_Allreduce(&big, &any, 1, MPI_INT, MPI_MAX, c->comm);
    if (any) {
        free(sc);
        *recv = NULL;
        return ND_ERR_INVALID;
    }
    int so = 0, ro = 0;
    for (int k = 0; k < n; k++) {
        sc[k] = (int)(cnt[k] * size);
        sd[k] = so;
        so += sc[k];
        rc[k] = (int)(rcnt[k] * size);
        rd[k] = ro;
        ro += rc[k];
        if (k != c->rank) {
            c->st.bytes_sent += (uint64_t)sc[k];
            c->st.bytes_recv += (uint64_t)rc[k];
        }
    }
    *recv = must(c, nd_mallocn(ro ? (size_t)ro : 1, 1));
    MPI_Request req;
    MPI_Ialltoallv(send, sc, sd, MPI_BYTE, *recv, rc, rd, MPI_BYTE, c->comm, &req);
    wait_req(&req);
    free(sc);
    return ND_OK;
}

/* Which round of step 5 carries an exact key, of nr (other bits of the
 * key than exact_owner's, so that a round's keys spread over the ranks). */
static uint64_t key_round(const XXH128_hash_t *k, uint64_t nr) {
    return ((k->low64 + k->high64) * UINT64_C(0xC2B2AE3D27D4EB4F) >> 40) % nr;
}

/* Bytes a representative's exact key costs in a round of step 5: sent and
 * received (24 + 24), its key, state and union-find entry on the owner
 * (21), a copy's note back (8). */
#define EXACT_KEY_BYTES 80u

/* Step 5, one round: the exact keys of round u (key_round) to their
 * owners, grouped there by nd_stage_exact over the keys received
 * (ascending ids: the senders' shares are in rank order), and each copy's
 * (copy, first) sent back to the copy's rank, which marks it ND_PARA_COPY
 * and links it.  A key's group is whole in its round, on its owner. */
static nd_status exchange_exact_round(nd_mpi_ctx *c, nd_exec *x, const uint64_t *base,
                                      local_rows *l, uint64_t u, uint64_t nr) {
    nd_status st = ND_OK;
    int n = c->size;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint64_t *at = must(c, nd_calloc((size_t)n + 1, sizeof *at));
    uint64_t *send = NULL, *recv = NULL, *note = NULL, *rnote = NULL;
    XXH128_hash_t *key = NULL;
    unsigned char *state = NULL;
    nd_uf uf;
    memset(&uf, 0, sizeof uf);
    for (size_t i = 0; i < l->n; i++)
        if (l->state[i] == ND_PARA_REP && key_round(&l->ekey[i], nr) == u)
            cnt[exact_owner(&l->ekey[i], n)]++;
    for (int k = 0; k < n; k++) at[k + 1] = at[k] + cnt[k];
    send = must(c, nd_mallocn(at[n] ? at[n] * 3 : 1, sizeof *send)); /* low, high, id */
    for (size_t i = 0; i < l->n; i++) {
        if (l->state[i] != ND_PARA_REP || key_round(&l->ekey[i], nr) != u) continue;
        uint64_t *e = send + 3 * at[exact_owner(&l->ekey[i], n)]++;
        e[0] = l->ekey[i].low64;
        e[1] = l->ekey[i].high64;
        e[2] = l->base + i;
    }
    ND_CHECK(all_to_all(c, send, cnt, 24, (void **)&recv, rcnt));
    free(send);
    send = NULL;
    size_t m = 0;
    for (int k = 0; k < n; k++) m += (size_t)rcnt[k];
    key = must(c, nd_mallocn(m ? m : 1, sizeof *key));
    state = must(c, nd_mallocn(m ? m : 1, sizeof *state));
    for (size_t i = 0; i < m; i++) {
        key[i].low64 = recv[3 * i];
        key[i].high64 = recv[3 * i + 1];
        state[i] = ND_PARA_REP;
        if (i && recv[3 * i + 2] <= recv[3 * i - 1]) st = ND_ERR_INTERNAL; /* not ascending */
    }
    if (st == ND_OK) st = nd_uf_init(&uf, m);
    if (st == ND_OK) {
        nd_exact_in ein = {.n = m, .ekey = key};
        nd_exact_out eout = {.state = state, .uf = &uf};
        st = nd_stage_exact(x, &ein, &eout);
    }
    st = status_vote(c, st);
    ND_CHECK(st);
    /* (copy, first) to the copy's rank */
    memset(cnt, 0, (size_t)n * sizeof *cnt);
    for (size_t i = 0; i < m; i++)
        if (state[i] == ND_PARA_COPY) cnt[id_owner(base, n, recv[3 * i + 2])]++;
    at[0] = 0;
    for (int k = 0; k < n; k++) at[k + 1] = at[k] + cnt[k];
    note = must(c, nd_mallocn(at[n] ? at[n] : 1, sizeof *note));
    for (size_t i = 0; i < m; i++) {
        if (state[i] != ND_PARA_COPY) continue;
        uint64_t copy = recv[3 * i + 2], first = recv[3 * nd_uf_find(&uf, (uint32_t)i) + 2];
        note[at[id_owner(base, n, copy)]++] = copy << 32 | first;
    }
    ND_CHECK(all_to_all(c, note, cnt, 8, (void **)&rnote, rcnt));
    size_t mn = 0;
    for (int k = 0; k < n; k++) mn += (size_t)rcnt[k];
    for (size_t i = 0; i < mn; i++) {
        uint64_t copy = rnote[i] >> 32;
        l->state[copy - l->base] = ND_PARA_COPY;
        l->link[copy - l->base] = (uint32_t)rnote[i];
    }
out:
    nd_uf_release(&uf);
    free(cnt);
    free(at);
    free(send);
    free(recv);
    free(note);
    free(rnote);
    free(key);
    free(state);
    return st;
}

/* Step 5: the exact groups, in rounds bounded like step 6's (round_budget:
 * EXACT_KEY_BYTES a representative), as many on every rank as the rank
 * with the most representatives needs. */
static nd_status exchange_exact(nd_mpi_ctx *c, nd_exec *x, const nd_split_in *in,
                                const uint64_t *base, local_rows *l) {
    nd_status st = ND_OK;
    uint64_t rep = 0, nr = 1, budget = round_budget(in);
    for (size_t i = 0; i < l->n; i++) {
        l->link[i] = (uint32_t)(l->base + i);
        rep += l->state[i] == ND_PARA_REP;
    }
    uint64_t need = (rep * EXACT_KEY_BYTES + budget) / budget;
    MPI_Allreduce(&need, &nr, 1, MPI_UINT64_T, MPI_MAX, c->comm);
    c->st.exact_rounds = nr;
    for (uint64_t u = 0; u < nr && st == ND_OK; u++)
        st = exchange_exact_round(c, x, base, l, u, nr);
    return st;
}

/* Step 6: band keys of the representatives to their owners, in rounds
 * bounded by the memory limit: a round carries bands [j0, j0 + nb) of the
 * u-th sub-round of each rank's rows - a nsub-th of them, or its u-th
 * spilled batch (plan_rounds: several bands a round when they fit in
 * round_budget, else one band a round in nsub sub-rounds).  Each rank
 * appends what it receives from rank s for band j in sub-round u to its
 * spill file as run (u x size + s, j), sorted as nd_stage_sketch's spilled
 * batches are, and nd_stage_lsh merges the runs band by band into the
 * candidate pairs of its buckets (entries are distinct, (key, id), so a
 * merge of sorted runs gives the same sequence however the entries were
 * cut into runs).  On the wire, a sender's part for one rank is nb counts,
 * then the entries band by band. */
static void plan_rounds(nd_mpi_ctx *c, const nd_split_in *in, const local_rows *l, unsigned *nb,
                        size_t *nsub, size_t *chunk) {
    unsigned bands = in->sk.bands;
    uint64_t budget = round_budget(in), rep = 0, need, per, most = 0, all = 0;
    for (size_t i = 0; i < l->n; i++) rep += l->state[i] == ND_PARA_REP;
    need = l->spilled ? l->nbatches : (rep * ROUND_ENTRY_BYTES + budget) / budget;
    MPI_Allreduce(&need, &all, 1, MPI_UINT64_T, MPI_MAX, c->comm);
    *nsub = (size_t)ND_MAX(all, (uint64_t)1);
    *chunk = l->spilled ? l->batch_rows : (l->n + *nsub - 1) / *nsub;
    per = l->spilled ? l->batch_rows : ND_MIN(rep, (uint64_t)*chunk);
    MPI_Allreduce(&per, &most, 1, MPI_UINT64_T, MPI_MAX, c->comm);
    *nb = (unsigned)ND_MAX(ND_MIN((uint64_t)bands, budget / (most * ROUND_ENTRY_BYTES + 1)),
                           (uint64_t)1);
}

/* Band j's entries (key << 32 | id) of sub-round u's representatives into
 * e, sorted; *m their number.  From memory: rows [u x chunk, (u + 1) x
 * chunk), sorted here (tmp: scratch); spilled: batch u's run, read back
 * (a merge of one run), with the rows the exact stage made copies left
 * out. */
static nd_status read_band(const local_rows *l, unsigned bands, unsigned j, size_t u, size_t chunk,
                           uint64_t *e, uint64_t *tmp, size_t *m) {
    nd_status st = ND_OK;
    *m = 0;
    if (!l->spilled) {
        size_t r0 = ND_MIN(u * chunk, l->n), r1 = ND_MIN(r0 + chunk, l->n);
        for (size_t i = r0; i < r1; i++)
            if (l->state[i] == ND_PARA_REP)
                e[(*m)++] = (uint64_t)l->bkeys[(size_t)j * l->n1 + i] << 32 | (l->base + i);
        nd_sort_hi32(e, tmp, *m); /* (key, id) */
        return ND_OK;
    }
    if (u >= l->nbatches) return ND_OK;
    nd_merge mg;
    memset(&mg, 0, sizeof mg);
    ND_CHECK(nd_merge_init(&mg, &l->spill, &l->runs[u * bands + j], 1, 1u << 14));
    for (;;) {
        uint64_t v = 0;
        int more = 0;
        ND_CHECK(nd_merge_next(&mg, &v, &more));
        if (!more) break;
        uint32_t row = (uint32_t)v;
        if (row < l->n && l->state[row] == ND_PARA_REP)
            e[(*m)++] = (v >> 32) << 32 | (l->base + row);
    }
out:
    nd_merge_release(&mg);
    return st;
}

static nd_status exchange_bands(nd_mpi_ctx *c, nd_exec *x, const nd_split_in *in, uint64_t total,
                                local_rows *l, nd_pairs *pairs) {
    nd_status st = ND_OK;
    int n = c->size;
    unsigned bands = in->sk.bands, nb = 1;
    size_t nsub = 1, chunk = 1;
    plan_rounds(c, in, l, &nb, &nsub, &chunk);
    size_t c1 = chunk ? chunk : 1;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint64_t *at = must(c, nd_calloc((size_t)n + 1, sizeof *at));
    uint64_t *bcnt = must(c, nd_calloc((size_t)n * nb, sizeof *bcnt));
    uint64_t *pos = must(c, nd_calloc((size_t)n * nb, sizeof *pos));
    size_t *eoff = must(c, nd_mallocn((size_t)nb + 1, sizeof *eoff));
    uint64_t *e = must(c, nd_mallocn(c1 * nb, sizeof *e));
    uint64_t *tmp = must(c, nd_mallocn(c1, sizeof *tmp));
    uint64_t *send = must(c, nd_mallocn(c1 * nb + (size_t)n * nb, sizeof *send));
    uint64_t *recv = NULL;
    nd_run *runs = must(c, nd_calloc(nsub * (size_t)n * bands, sizeof *runs));
    nd_spill sp;
    memset(&sp, 0, sizeof sp);
    sp.fd = -1;
    int err = 0;
    st = nd_spill_open(&sp, in->tmpdir, &err);
    st = status_vote(c, st);
    ND_CHECK(st);
    nd_exec_begin(x, ND_STAGE_LSH, bands);
    for (unsigned j0 = 0; j0 < bands && st == ND_OK; j0 += nb) {
        unsigned nj = ND_MIN(nb, bands - j0);
        for (size_t u = 0; u < nsub && st == ND_OK; u++) {
            /* this sub-round's entries, band by band, each sorted */
            eoff[0] = 0;
            for (unsigned b = 0; b < nj && st == ND_OK; b++) {
                size_t m = 0;
                st = read_band(l, bands, j0 + b, u, chunk, e + eoff[b], tmp, &m);
                eoff[b + 1] = eoff[b] + m;
            }
            st = status_vote(c, st); /* a failed read of the spill stops every rank */
            ND_CHECK(st);
            memset(bcnt, 0, (size_t)n * nb * sizeof *bcnt);
            for (unsigned b = 0; b < nj; b++)
                for (size_t i = eoff[b]; i < eoff[b + 1]; i++)
                    bcnt[(size_t)band_owner(j0 + b, (uint32_t)(e[i] >> 32), n) * nb + b]++;
            at[0] = 0;
            for (int k = 0; k < n; k++) {
                cnt[k] = nj;
                for (unsigned b = 0; b < nj; b++) {
                    send[at[k] + b] = bcnt[(size_t)k * nb + b]; /* the header */
                    pos[(size_t)k * nb + b] = at[k] + cnt[k];
                    cnt[k] += bcnt[(size_t)k * nb + b];
                }
                at[k + 1] = at[k] + cnt[k];
            }
            for (unsigned b = 0; b < nj; b++) /* each owner's part stays sorted */
                for (size_t i = eoff[b]; i < eoff[b + 1]; i++)
                    send[pos[(size_t)band_owner(j0 + b, (uint32_t)(e[i] >> 32), n) * nb + b]++] =
                        e[i];
            ND_CHECK(all_to_all(c, send, cnt, 8, (void **)&recv, rcnt));
            c->st.rounds++;
            uint64_t off = 0;
            for (int k = 0; k < n && st == ND_OK; k++) {
                const uint64_t *seg = recv + off, *ent = seg + nj;
                for (unsigned b = 0; b < nj && st == ND_OK; b++) {
                    nd_run *run = &runs[((u * (size_t)n + (size_t)k) * bands) + j0 + b];
                    run->n = seg[b];
                    if (seg[b]) st = nd_spill_append(&sp, ent, (size_t)seg[b], &run->off);
                    ent += seg[b];
                }
                off += rcnt[k];
            }
            free(recv);
            recv = NULL;
            st = status_vote(c, st); /* a failed write of the spill stops every rank */
        }
    }
    ND_CHECK(st);
    free(e);
    free(tmp);
    free(send);
    e = tmp = send = NULL;
    /* the owners sent only representatives: every entry takes part (no
     * state per paragraph of the run) */
    if (st == ND_OK) {
        uint64_t per =
            in->limit / ((uint64_t)x->threads * nsub * (uint64_t)n * sizeof(uint64_t) + 1);
        nd_lsh_in lin = {.n = (size_t)total,
                         .state = NULL,
                         .ncl = (size_t)total,
                         .bands = bands,
                         .spill = &sp,
                         .runs = runs,
                         .nbatches = nsub * (size_t)n,
                         .merge_buf = (size_t)ND_MAX(ND_MIN(per, (uint64_t)1 << 16), (uint64_t)64)};
        nd_lsh_out lout = {.pairs = pairs};
        st = nd_stage_lsh(x, &lin, &lout);
    }
    c->st.spill_bytes = sp.size;
    st = status_vote(c, st);
out:
    nd_spill_close(&sp);
    free(cnt);
    free(at);
    free(bcnt);
    free(pos);
    free(e);
    free(tmp);
    free(send);
    free(recv);
    free(runs);
    free(eoff);
    return st;
}

/* Which rank verifies pair v (a << 32 | b): the owner of a or of b, picked
 * by a hash of the pair, so that a paragraph copied all over the corpus -
 * its earliest copy is the first member of every pair it is in - does not
 * load its rank with all of them. */
static int pair_owner(const uint64_t *base, int size, uint64_t v) {
    uint64_t side = (v * UINT64_C(0x9E3779B97F4A7C15)) >> 63 ? v >> 32 : (uint32_t)v;
    return id_owner(base, size, side);
}

/* Step 7: candidate pairs to their verifier (pair_owner), which sorts them
 * and drops repeats (a pair found in the buckets of several bands, owned by
 * different ranks: every copy of it goes to the same verifier). */
static nd_status route_pairs(nd_mpi_ctx *c, const uint64_t *base, nd_pairs *mine, nd_pairs *owned) {
    int n = c->size;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint64_t *at = must(c, nd_calloc((size_t)n + 1, sizeof *at));
    uint64_t *send = must(c, nd_mallocn(mine->n ? mine->n : 1, sizeof *send));
    void *recv = NULL;
    for (size_t i = 0; i < mine->n; i++) cnt[pair_owner(base, n, mine->v[i])]++;
    for (int k = 0; k < n; k++) at[k + 1] = at[k] + cnt[k];
    for (size_t i = 0; i < mine->n; i++) send[at[pair_owner(base, n, mine->v[i])]++] = mine->v[i];
    nd_status st = all_to_all(c, send, cnt, 8, &recv, rcnt);
    free(send);
    free(at);
    if (st == ND_OK) {
        owned->v = recv;
        owned->n = 0;
        for (int k = 0; k < n; k++) owned->n += (size_t)rcnt[k];
        owned->cap = owned->n ? owned->n : 1;
        st = nd_pairs_finish(owned);
    }
    free(cnt);
    return st;
}

/* A paragraph's row as the verification needs it (24 bytes on the wire). */
typedef struct text_row {
    uint64_t off;
    uint32_t doc, len, phash, line;
} text_row;

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The index of id in ids[0 .. n) (ascending; it is there). */
static uint32_t index_of(const uint32_t *ids, size_t n, uint32_t id) {
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] <= id)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

/* Step 9: this rank verifies its pairs with nd_stage_verify.  The rows of
 * paragraphs another rank split are asked of that rank (their
 * document, offset, length, hash: a request round, 8 bytes out and 24 back
 * a row); the texts themselves are read from the shared filesystem.  The
 * stage runs on a table of just the paragraphs these pairs name, handed to
 * r (nd_report_set_paragraphs; the driver replaces it), with the pairs
 * renumbered into it - in the same order, as the renumbering is monotonic.
 * Writes *jac and *pass, one per owned pair.  Step 11 runs it again on the
 * similarities that were no candidate pair. */
static nd_status verify_share(nd_mpi_ctx *c, nd_exec *x, nd_report *r, const nd_split_in *in,
                              const uint64_t *base, const local_rows *l, const nd_pairs *owned,
                              double **jac, unsigned char **pass) {
    nd_status st = ND_OK;
    int n = c->size;
    size_t np = owned->n;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint32_t *ids = must(c, nd_mallocn(2 * np + 1, sizeof *ids));
    uint64_t *ask = NULL, *asked = NULL;
    text_row *reply = NULL, *got = NULL;
    nd_paratab pt;
    uint32_t *phash = NULL;
    nd_pairs local;
    nd_texts texts;
    nd_uf uf;
    memset(&pt, 0, sizeof pt);
    memset(&local, 0, sizeof local);
    memset(&texts, 0, sizeof texts);
    memset(&uf, 0, sizeof uf);
    /* the paragraphs named, ascending and distinct */
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        ids[k++] = (uint32_t)(owned->v[i] >> 32);
        ids[k++] = (uint32_t)owned->v[i];
    }
    qsort(ids, k, sizeof *ids, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || ids[i] != ids[m - 1]) ids[m++] = ids[i];
    /* the request round: ids of other ranks' paragraphs, in rank order */
    size_t nask = 0;
    for (size_t i = 0; i < m; i++)
        if (ids[i] < l->base || ids[i] >= l->base + l->n) nask++;
    ask = must(c, nd_mallocn(nask ? nask : 1, sizeof *ask));
    nask = 0;
    for (size_t i = 0; i < m; i++)
        if (ids[i] < l->base || ids[i] >= l->base + l->n) {
            ask[nask++] = ids[i];
            cnt[id_owner(base, n, ids[i])]++;
        }
    ND_CHECK(all_to_all(c, ask, cnt, 8, (void **)&asked, rcnt));
    size_t nasked = 0;
    for (int q = 0; q < n; q++) nasked += (size_t)rcnt[q];
    reply = must(c, nd_mallocn(nasked ? nasked : 1, sizeof *reply));
    int bad = 0;
    for (size_t i = 0; i < nasked; i++) {
        size_t p = (size_t)(asked[i] - l->base); /* one of this rank's rows */
        if (asked[i] < l->base || p >= l->n) {
            bad = 1;
            memset(&reply[i], 0, sizeof reply[i]);
            continue;
        }
        reply[i] = (text_row){.off = l->pt.off[p],
                              .doc = l->pt.doc[p],
                              .len = l->pt.len[p],
                              .phash = l->phash[p],
                              .line = l->pt.line[p]};
    }
    for (int q = 0; q < n; q++) { /* replies go back: counts swap */
        uint64_t t = cnt[q];
        cnt[q] = rcnt[q];
        rcnt[q] = t;
    }
    ND_CHECK(all_to_all(c, reply, cnt, sizeof *reply, (void **)&got, rcnt));
    if (bad) st = ND_ERR_INTERNAL; /* a request for a row this rank does not have */
    /* the table of the named paragraphs */
    size_t m1 = m ? m : 1;
    pt.doc = nd_mallocn(m1, sizeof *pt.doc);
    pt.off = nd_mallocn(m1, sizeof *pt.off);
    pt.len = nd_mallocn(m1, sizeof *pt.len);
    pt.line = nd_mallocn(m1, sizeof *pt.line);
    phash = nd_mallocn(m1, sizeof *phash);
    local.v = nd_mallocn(np ? np : 1, sizeof *local.v);
    if (!pt.doc || !pt.off || !pt.len || !pt.line || !phash || !local.v) st = ND_ERR_NOMEM;
    if (st == ND_OK) {
        for (size_t i = 0, g = 0; i < m; i++) {
            text_row row;
            if (ids[i] >= l->base && ids[i] < l->base + l->n) {
                size_t p = (size_t)(ids[i] - l->base);
                row = (text_row){.off = l->pt.off[p],
                                 .doc = l->pt.doc[p],
                                 .len = l->pt.len[p],
                                 .phash = l->phash[p],
                                 .line = l->pt.line[p]};
            } else {
                row = got[g++];
            }
            pt.doc[i] = row.doc;
            pt.off[i] = row.off;
            pt.len[i] = row.len;
            pt.line[i] = row.line;
            phash[i] = row.phash;
        }
        pt.n = m;
        pt.cap = m1;
        pt.max_len = in->opt->max_paragraph_bytes;
        for (size_t i = 0; i < np; i++)
            local.v[i] = (uint64_t)index_of(ids, m, (uint32_t)(owned->v[i] >> 32)) << 32 |
                         index_of(ids, m, (uint32_t)owned->v[i]);
        local.n = np;
        local.cap = np ? np : 1;
        nd_report_set_paragraphs(r, &pt, phash, NULL); /* r takes them */
        phash = NULL;
        st = nd_uf_init(&uf, m);
    }
    if (st == ND_OK) {
        nd_verify_in vin = {.r = r, .pairs = &local, .limit = in->limit};
        nd_verify_out vout = {.texts = &texts, .uf = &uf};
        st = nd_stage_verify(x, &vin, &vout);
        *jac = vout.jac;
        *pass = vout.pass;
    }
out:
    nd_paratab_release(&pt);
    free(phash);
    nd_pairs_release(&local);
    nd_texts_release(&texts);
    nd_uf_release(&uf);
    free(cnt);
    free(ids);
    free(ask);
    free(asked);
    free(reply);
    free(got);
    return st;
}

/* Step 12: the changed flags again (steps 9 and 11 read texts), to rank 0,
 * which marks them. */
static void reduce_changed(nd_mpi_ctx *c, nd_doctab *docs) {
    size_t nd = docs->n, nd1 = nd ? nd : 1;
    unsigned char *chg = must(c, nd_calloc(nd1, 1)), *all = NULL;
    if (c->rank == 0) all = must(c, nd_calloc(nd1, 1));
    for (size_t d = 0; d < nd; d++) chg[d] = atomic_load(&docs->changed[d]) != ND_DOC_SAME;
    MPI_Reduce(chg, all, (int)nd, MPI_UNSIGNED_CHAR, MPI_MAX, 0, c->comm);
    if (c->rank == 0)
        for (size_t d = 0; d < nd; d++)
            if (all[d]) (void)nd_doctab_mark_changed(docs, d);
    free(chg);
    free(all);
}

/* Merges the runs [run[i], run[i + 1]) of (v, jac), each ascending by
 * pair and disjoint, two at a time in log2(runs) rounds (as the LSH stage
 * merges its workers' pairs), into one ascending run in (*v, *jac); the
 * scratch arrays hold as many. */
static void merge_runs(nd_mpi_ctx *c, uint64_t **v, double **jac, size_t *run, size_t nr) {
    size_t total = run[nr], t1 = total ? total : 1;
    uint64_t *v2 = must(c, nd_mallocn(t1, sizeof *v2));
    double *j2 = must(c, nd_mallocn(t1, sizeof *j2));
    for (; nr > 1; nr = (nr + 1) / 2) {
        size_t n = 0;
        for (size_t i = 0; i < nr; i += 2) {
            size_t x = run[i], xe = run[ND_MIN(i + 1, nr)], y = xe, ye = run[ND_MIN(i + 2, nr)];
            run[i / 2] = n;
            while (x < xe || y < ye) {
                size_t f = (y >= ye || (x < xe && (*v)[x] < (*v)[y])) ? x++ : y++;
                v2[n] = (*v)[f];
                j2[n++] = (*jac)[f];
            }
        }
        run[(nr + 1) / 2] = n;
        uint64_t *tv = *v;
        double *tj = *jac;
        *v = v2;
        *jac = j2;
        v2 = tv;
        j2 = tj;
    }
    free(v2);
    free(j2);
}

/* Step 11, the end: every rank's similarities (pairs ascending, with their
 * Jaccard) to rank 0, which merges them into pair order as o->pairs and
 * o->jac. */
static void gather_sims(nd_mpi_ctx *c, const nd_pairs *q, const double *sim, nd_front_out *o) {
    uint64_t mine = q->n, *cnt = NULL;
    MPI_Request req;
    if (c->rank == 0) cnt = must(c, nd_mallocn((size_t)c->size, sizeof *cnt));
    MPI_Igather(&mine, 1, MPI_UINT64_T, cnt, 1, MPI_UINT64_T, 0, c->comm, &req);
    wait_req(&req);
    if (c->rank != 0) {
        for (size_t i = 0; i < q->n; i += PAIRS_MSG) {
            size_t m = ND_MIN(PAIRS_MSG, q->n - i);
            MPI_Send(q->v + i, (int)m, MPI_UINT64_T, 0, ND_TAG_PAIRS, c->comm);
            MPI_Send(sim + i, (int)m, MPI_DOUBLE, 0, ND_TAG_PAIRS + 1, c->comm);
            c->st.bytes_sent += m * 16;
        }
        return;
    }
    uint64_t total = 0;
    for (int k = 0; k < c->size; k++) total += cnt[k];
    size_t t1 = total ? (size_t)total : 1;
    o->pairs.v = must(c, nd_mallocn(t1, sizeof *o->pairs.v));
    o->jac = must(c, nd_mallocn(t1, sizeof *o->jac));
    o->pairs.cap = t1;
    if (q->n) {
        memcpy(o->pairs.v, q->v, q->n * sizeof *q->v);
        memcpy(o->jac, sim, q->n * sizeof *sim);
    }
    size_t at = q->n;
    size_t *run = must(c, nd_mallocn((size_t)c->size + 1, sizeof *run));
    run[0] = 0;
    run[1] = at;
    for (int k = 1; k < c->size; k++) {
        for (uint64_t left = cnt[k]; left;) {
            size_t m = (size_t)ND_MIN((uint64_t)PAIRS_MSG, left);
            MPI_Request rq[2];
            MPI_Irecv(o->pairs.v + at, (int)m, MPI_UINT64_T, k, ND_TAG_PAIRS, c->comm, &rq[0]);
            MPI_Irecv(o->jac + at, (int)m, MPI_DOUBLE, k, ND_TAG_PAIRS + 1, c->comm, &rq[1]);
            wait_req(&rq[0]);
            wait_req(&rq[1]);
            at += m;
            left -= m;
            c->st.bytes_recv += m * 16;
        }
        run[k + 1] = at;
    }
    o->pairs.n = at;
    merge_runs(c, &o->pairs.v, &o->jac, run, (size_t)c->size);
    free(run);
    free(cnt);
}

/* n values to rank `to` (a count, then at most PAIRS_MSG a message). */
static void send_u64s(nd_mpi_ctx *c, int to, const uint64_t *v, size_t n) {
    uint64_t cnt = n;
    MPI_Request req;
    MPI_Isend(&cnt, 1, MPI_UINT64_T, to, ND_TAG_FOREST, c->comm, &req);
    wait_req(&req);
    for (size_t i = 0; i < n; i += PAIRS_MSG) {
        size_t m = ND_MIN(PAIRS_MSG, n - i);
        MPI_Isend(v + i, (int)m, MPI_UINT64_T, to, ND_TAG_FOREST + 1, c->comm, &req);
        wait_req(&req);
    }
    c->st.bytes_sent += 8 + (uint64_t)n * 8;
}

/* What send_u64s sent from rank `from`, appended to *v (n values, room for
 * *cap; grown). */
static void recv_u64s(nd_mpi_ctx *c, int from, uint64_t **v, size_t *n, size_t *cap) {
    uint64_t cnt = 0;
    MPI_Request req;
    MPI_Irecv(&cnt, 1, MPI_UINT64_T, from, ND_TAG_FOREST, c->comm, &req);
    wait_req(&req);
    if (*n + cnt > *cap) {
        uint64_t *grown = must(c, realloc(*v, (size_t)(*n + cnt) * sizeof **v));
        *v = grown;
        *cap = (size_t)(*n + cnt);
    }
    for (uint64_t i = 0; i < cnt; i += PAIRS_MSG) {
        size_t m = (size_t)ND_MIN((uint64_t)PAIRS_MSG, cnt - i);
        MPI_Irecv(*v + *n, (int)m, MPI_UINT64_T, from, ND_TAG_FOREST + 1, c->comm, &req);
        wait_req(&req);
        *n += m;
    }
    c->st.bytes_recv += 8 + cnt * 8;
}

/* The star forest of the graph whose edges are (*e)[0 .. *n) (a << 32 | b):
 * (root << 32 | v) for every vertex v other than its component's smallest
 * id, root.  The union-find (cluster.c) over the distinct vertices, in
 * ascending order, so that its root - the smallest index - is the smallest
 * id.  Rewrites e[0 .. *n) in place (a spanning forest has no more edges
 * than its graph). */
static void reduce_forest(nd_mpi_ctx *c, uint64_t *e, size_t *n) {
    size_t ne = *n, k = 0, m = 0;
    uint64_t *all = must(c, nd_mallocn(2 * ne + 1, sizeof *all));
    uint64_t *tmp = must(c, nd_mallocn(2 * ne + 1, sizeof *tmp));
    for (size_t i = 0; i < ne; i++) {
        all[k++] = e[i] >> 32;
        all[k++] = (uint32_t)e[i];
    }
    nd_sort_u64(all, tmp, k);
    free(tmp);
    uint32_t *ids = must(c, nd_mallocn(k + 1, sizeof *ids));
    for (size_t i = 0; i < k; i++)
        if (m == 0 || all[i] != ids[m - 1]) ids[m++] = (uint32_t)all[i];
    free(all);
    nd_uf uf;
    if (nd_uf_init(&uf, m) != ND_OK) must(c, NULL);
    for (size_t i = 0; i < ne; i++)
        (void)nd_uf_union(&uf, index_of(ids, m, (uint32_t)(e[i] >> 32)),
                          index_of(ids, m, (uint32_t)e[i]));
    size_t out = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t root = nd_uf_find(&uf, (uint32_t)i);
        if (root != i) e[out++] = (uint64_t)ids[root] << 32 | ids[i];
    }
    nd_uf_release(&uf);
    free(ids);
    *n = out;
}

/* Step 10: the clusters.  Each rank's edges - its copies' (first, copy)
 * and the pairs it verified that passed - become its star forest; forests
 * are merged up a binomial tree (rank r + s sends to rank r when r is a
 * multiple of 2s, for s = 1, 2, 4, ...), each merge one star forest of the
 * union, so after log2(ranks) rounds rank 0 holds the run's star forest:
 * one (root << 32 | v) per paragraph in a cluster other than its
 * representative - what its report's member lists hold anyway - and no
 * candidate pair.  *e holds it on rank 0, nothing on the others. */
static void merge_forests(nd_mpi_ctx *c, const local_rows *l, const nd_pairs *owned,
                          const unsigned char *pass, uint64_t **e, size_t *n) {
    size_t ne = 0, cap;
    for (size_t i = 0; i < l->n; i++) ne += l->state[i] == ND_PARA_COPY;
    for (size_t i = 0; i < owned->n; i++) ne += pass[i] != 0;
    cap = ne ? ne : 1;
    *e = must(c, nd_mallocn(cap, sizeof **e));
    ne = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->state[i] == ND_PARA_COPY) (*e)[ne++] = (uint64_t)l->link[i] << 32 | (l->base + i);
    for (size_t i = 0; i < owned->n; i++)
        if (pass[i]) (*e)[ne++] = owned->v[i];
    reduce_forest(c, *e, &ne);
    c->st.forest = ne;
    for (int step = 1; step < c->size; step *= 2) {
        if (c->rank % (2 * step) == step) { /* hand it down the tree; done */
            send_u64s(c, c->rank - step, *e, ne);
            ne = 0;
            break;
        }
        if (c->rank % (2 * step) == 0 && c->rank + step < c->size) {
            recv_u64s(c, c->rank + step, e, &ne, &cap);
            reduce_forest(c, *e, &ne);
            c->st.forest = ND_MAX(c->st.forest, (uint64_t)ne);
        }
        if (step > INT_MAX / 2) break;
    }
    *n = ne;
}

/* The exact keys of paragraphs ids[0 .. m) (ascending, distinct), which
 * other ranks split: a request round (8 bytes out, 16 back an id) into
 * key[0 .. m). */
static nd_status ask_ekeys(nd_mpi_ctx *c, const uint64_t *base, const local_rows *l,
                           const uint32_t *ids, size_t m, XXH128_hash_t *key) {
    int n = c->size;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint64_t *ask = must(c, nd_mallocn(m ? m : 1, sizeof *ask)), *asked = NULL;
    uint64_t *reply = NULL, *got = NULL;
    for (size_t i = 0; i < m; i++) {
        ask[i] = ids[i];
        cnt[id_owner(base, n, ids[i])]++;
    }
    nd_status st = all_to_all(c, ask, cnt, 8, (void **)&asked, rcnt);
    ND_CHECK(st);
    size_t nasked = 0;
    for (int q = 0; q < n; q++) nasked += (size_t)rcnt[q];
    reply = must(c, nd_mallocn(2 * nasked + 1, sizeof *reply));
    for (size_t i = 0; i < nasked; i++) {
        uint64_t p = asked[i] - l->base; /* one of this rank's rows */
        if (asked[i] < l->base || p >= l->n) {
            st = ND_ERR_INTERNAL;
            reply[2 * i] = reply[2 * i + 1] = 0;
            continue;
        }
        reply[2 * i] = l->ekey[p].low64;
        reply[2 * i + 1] = l->ekey[p].high64;
    }
    for (int q = 0; q < n; q++) { /* replies go back: counts swap */
        uint64_t t = cnt[q];
        cnt[q] = rcnt[q];
        rcnt[q] = t;
    }
    nd_status st2 = all_to_all(c, reply, cnt, 16, (void **)&got, rcnt);
    if (st == ND_OK) st = st2;
    ND_CHECK(st);
    for (size_t i = 0; i < m; i++) { /* owners in rank order: ids' order */
        key[i].low64 = got[2 * i];
        key[i].high64 = got[2 * i + 1];
    }
out:
    free(cnt);
    free(ask);
    free(asked);
    free(reply);
    free(got);
    return st;
}

/* Step 11: the similarities the cluster stage needs - each member's to its
 * representative.  Rank 0 sends each (root, member) of the forest to the
 * rank that verified that pair if it was a candidate (pair_owner, which
 * split one side and asks the other side's exact key of its rank), and
 * that rank answers as the cluster stage would: 1 when the exact keys are
 * equal, else the Jaccard of its verdict, else - for a pair that was no
 * candidate - the Jaccard nd_stage_verify computes (verify_share: the same
 * sets and function as the cluster stage's, 0 for a text that no longer
 * reads back, as there).  The answers go back to rank 0, ascending per
 * rank, merged into pair order as o->pairs and o->jac. */
static nd_status answer_sims(nd_mpi_ctx *c, nd_exec *x, nd_report *r, const nd_split_in *in,
                             const uint64_t *base, const local_rows *l, const nd_pairs *owned,
                             const double *jac, const uint64_t *forest, size_t nf,
                             nd_front_out *o) {
    nd_status st = ND_OK;
    int n = c->size;
    uint64_t *cnt = must(c, nd_calloc((size_t)n * 2, sizeof *cnt)), *rcnt = cnt + n;
    uint64_t *at = must(c, nd_calloc((size_t)n + 1, sizeof *at));
    uint64_t *send = NULL;
    uint32_t *ids = NULL;
    XXH128_hash_t *key = NULL;
    size_t *from = NULL;
    double *sim = NULL, *rj = NULL;
    unsigned char *rp = NULL;
    nd_pairs q, rest;
    memset(&q, 0, sizeof q);
    memset(&rest, 0, sizeof rest);
    for (size_t i = 0; i < nf; i++) cnt[pair_owner(base, n, forest[i])]++;
    for (int k = 0; k < n; k++) at[k + 1] = at[k] + cnt[k];
    send = must(c, nd_mallocn(nf ? nf : 1, sizeof *send));
    for (size_t i = 0; i < nf; i++) send[at[pair_owner(base, n, forest[i])]++] = forest[i];
    void *recv = NULL;
    ND_CHECK(all_to_all(c, send, cnt, 8, &recv, rcnt));
    q.v = recv;
    for (int k = 0; k < n; k++) q.n += (size_t)rcnt[k];
    q.cap = q.n ? q.n : 1;
    ND_CHECK(status_vote(c, nd_pairs_finish(&q)));
    c->st.sims = q.n;
    /* the sides another rank split, ascending and distinct, and their keys */
    ids = must(c, nd_mallocn(2 * q.n + 1, sizeof *ids));
    size_t m = 0;
    for (size_t i = 0; i < q.n; i++)
        for (int side = 0; side < 2; side++) {
            uint32_t p = side ? (uint32_t)q.v[i] : (uint32_t)(q.v[i] >> 32);
            if (p < l->base || p >= l->base + l->n) ids[m++] = p;
        }
    qsort(ids, m, sizeof *ids, cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || ids[i] != ids[k - 1]) ids[k++] = ids[i];
    m = k;
    key = must(c, nd_mallocn(m ? m : 1, sizeof *key));
    ND_CHECK(status_vote(c, ask_ekeys(c, base, l, ids, m, key)));
    sim = must(c, nd_mallocn(q.cap, sizeof *sim));
    from = must(c, nd_mallocn(q.cap, sizeof *from));
    rest.v = must(c, nd_mallocn(q.cap, sizeof *rest.v));
    rest.cap = q.cap;
    for (size_t i = 0; i < q.n; i++) {
        XXH128_hash_t ks[2];
        for (int side = 0; side < 2; side++) {
            uint32_t p = side ? (uint32_t)q.v[i] : (uint32_t)(q.v[i] >> 32);
            ks[side] = p >= l->base && p < l->base + l->n ? l->ekey[p - l->base]
                                                          : key[index_of(ids, m, p)];
        }
        size_t j = nd_pairs_find(owned, q.v[i]);
        if (XXH128_isEqual(ks[0], ks[1])) {
            sim[i] = 1.0;
        } else if (j != SIZE_MAX) {
            sim[i] = jac[j];
        } else {
            from[rest.n] = i;
            rest.v[rest.n++] = q.v[i];
        }
    }
    c->st.sims_new = rest.n;
    ND_CHECK(status_vote(c, verify_share(c, x, r, in, base, l, &rest, &rj, &rp)));
    for (size_t i = 0; i < rest.n; i++) sim[from[i]] = rj[i];
    gather_sims(c, &q, sim, o);
out:
    free(cnt);
    free(at);
    free(send);
    free(ids);
    free(key);
    free(from);
    free(sim);
    free(rj);
    free(rp);
    nd_pairs_release(&q);
    nd_pairs_release(&rest);
    return st;
}

/* Row i of this rank (its state as it stands). */
static nd_row local_row(const local_rows *l, size_t i) {
    return (nd_row){.off = l->pt.off[i],
                    .doc = l->pt.doc[i],
                    .len = l->pt.len[i],
                    .line = l->pt.line[i],
                    .phash = l->phash[i],
                    .chars = l->chars[i],
                    .state = l->state[i]};
}

/* Packs rows [i0, i0 + m) of this rank into buf (nd_row_pack). */
static void pack_rows(const local_rows *l, size_t i0, size_t m, unsigned char *buf) {
    for (size_t i = i0; i < i0 + m; i++) {
        nd_row row = local_row(l, i);
        nd_row_pack(&row, buf + (i - i0) * ROW_BYTES);
    }
}

/* Row p of the run's (or the held) arrays. */
static void put_row(nd_front_out *o, size_t p, const nd_row *row) {
    nd_paratab *pt = o->split.pt;
    pt->off[p] = row->off;
    pt->doc[p] = row->doc;
    pt->len[p] = row->len;
    pt->line[p] = row->line;
    o->split.phash[p] = row->phash;
    o->split.chars[p] = row->chars;
    o->split.state[p] = row->state;
    o->link[p] = (uint32_t)p; /* in no cluster, until step 10 */
}

/* Rank 0: the per-document arrays of nd documents. */
static nd_status alloc_docs(nd_front_out *o, size_t nd) {
    size_t nd1 = nd ? nd : 1;
    o->split.doc_ncut = nd_calloc(nd1, sizeof *o->split.doc_ncut);
    o->split.doc_cutline = nd_calloc(nd1, sizeof *o->split.doc_cutline);
    o->split.doc_split = nd_calloc(nd1, sizeof *o->split.doc_split);
    if (!o->split.doc_ncut || !o->split.doc_cutline || !o->split.doc_split) return ND_ERR_NOMEM;
    return ND_OK;
}

/* Rank 0: the arrays for the n paragraphs its sparse report holds. */
static nd_status alloc_rows(nd_front_out *o, size_t n, uint32_t max_len) {
    size_t n1 = n ? n : 1;
    nd_paratab *pt = o->split.pt;
    pt->doc = nd_mallocn(n1, sizeof *pt->doc);
    pt->off = nd_mallocn(n1, sizeof *pt->off);
    pt->len = nd_mallocn(n1, sizeof *pt->len);
    pt->line = nd_mallocn(n1, sizeof *pt->line);
    pt->cap = n1;
    pt->n = n;
    pt->max_len = max_len;
    o->split.phash = nd_mallocn(n1, sizeof *o->split.phash);
    o->split.chars = nd_mallocn(n1, sizeof *o->split.chars);
    o->split.state = nd_mallocn(n1, sizeof *o->split.state);
    o->link = nd_mallocn(n1, sizeof *o->link);
    if (!pt->doc || !pt->off || !pt->len || !pt->line || !o->split.phash || !o->split.chars ||
        !o->split.state || !o->link)
        return ND_ERR_NOMEM;
    return ND_OK;
}

/* Step 4, for a sparse report: the report's paragraph counts
 * (nd_report_count over each rank's rows), summed on rank 0 into
 * o->sparse.count (allocated there). */
static void reduce_counts(nd_mpi_ctx *c, const nd_split_in *in, const local_rows *l,
                          nd_front_out *o) {
    size_t nd = in->docs->n;
    nd_para_counts mine, *all = &o->sparse.count;
    if (nd_para_counts_init(&mine, nd) != ND_OK) must(c, NULL);
    if (c->rank == 0 && nd_para_counts_init(all, nd) != ND_OK) must(c, NULL);
    nd_report_count(in->opt, l->pt.doc, l->chars, l->n, &mine);
    uint64_t tot[3] = {mine.chars, mine.short_paragraphs, mine.comparable}, sum[3] = {0, 0, 0};
    int cnt = (int)nd, root = c->rank == 0;
    MPI_Reduce(mine.d_paragraphs, root ? all->d_paragraphs : NULL, cnt, MPI_UINT64_T, MPI_SUM, 0,
               c->comm);
    MPI_Reduce(mine.d_chars, root ? all->d_chars : NULL, cnt, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    MPI_Reduce(mine.d_comparable, root ? all->d_comparable : NULL, cnt, MPI_UINT64_T, MPI_SUM, 0,
               c->comm);
    MPI_Reduce(tot, sum, 3, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    if (c->rank != 0) c->st.bytes_sent += (uint64_t)nd * 24 + 24;
    if (root) {
        all->chars = sum[0];
        all->short_paragraphs = sum[1];
        all->comparable = sum[2];
    }
    nd_para_counts_release(&mine);
}

/* Step 4: the per-document arrays, reduced to rank 0 (which marks the
 * documents another rank found changed). */
static void reduce_docs(nd_mpi_ctx *c, nd_doctab *docs, const local_rows *l, nd_front_out *o) {
    size_t nd = docs->n, nd1 = nd ? nd : 1;
    uint64_t *ncut = must(c, nd_calloc(nd1, sizeof *ncut)), *ncut_all = NULL;
    unsigned char *chg = must(c, nd_calloc(nd1, 1)), *chg_all = NULL;
    uint32_t *line = must(c, nd_calloc(nd1, sizeof *line)), *line_all = NULL;
    if (c->rank == 0) {
        ncut_all = must(c, nd_calloc(nd1, sizeof *ncut_all));
        chg_all = must(c, nd_calloc(nd1, 1));
        line_all = must(c, nd_calloc(nd1, sizeof *line_all));
    }
    for (size_t d = 0; d < nd; d++) {
        ncut[d] = l->doc_ncut[d];
        chg[d] = atomic_load(&docs->changed[d]) != ND_DOC_SAME;
    }
    int cnt = (int)nd;
    MPI_Reduce(ncut, ncut_all, cnt, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    /* a document cut across ranks: the first cut's line is the least */
    for (size_t d = 0; d < nd; d++) line[d] = l->doc_cutline[d] ? l->doc_cutline[d] : UINT32_MAX;
    MPI_Reduce(line, line_all, cnt, MPI_UINT32_T, MPI_MIN, 0, c->comm);
    MPI_Reduce(l->doc_split, c->rank == 0 ? o->split.doc_split : NULL, cnt, MPI_UNSIGNED_CHAR,
               MPI_MAX, 0, c->comm);
    MPI_Reduce(chg, chg_all, cnt, MPI_UNSIGNED_CHAR, MPI_MAX, 0, c->comm);
    if (c->rank != 0) c->st.bytes_sent += (uint64_t)nd * (8 + 4 + 1 + 1);
    if (c->rank == 0)
        for (size_t d = 0; d < nd; d++) {
            o->split.doc_ncut[d] = (size_t)ncut_all[d];
            o->split.doc_cutline[d] = line_all[d] == UINT32_MAX ? 0 : line_all[d];
            if (chg_all[d]) (void)nd_doctab_mark_changed(docs, d);
        }
    free(line);
    free(line_all);
    free(ncut);
    free(ncut_all);
    free(chg);
    free(chg_all);
}

/* m packed rows of ids base .. on rank 0, appended to its rows file (at
 * id x ROW_BYTES, as they come in id order); the clusterable ones counted
 * in o->ncl. */
static nd_status take_rows(const unsigned char *buf, size_t m, size_t base, nd_front_out *o) {
    for (size_t i = 0; i < m; i++) o->ncl += buf[i * ROW_BYTES + 28] != ND_PARA_SHORT;
    uint64_t at = 0;
    ND_TRY(nd_spill_write(&o->sparse.rows, buf, m * ROW_BYTES, &at));
    return at == (uint64_t)base * ROW_BYTES ? ND_OK : ND_ERR_INTERNAL;
}

/* Step 8 on rank 0: its own rows, then every other rank's, in rank order
 * (all of them received also after a failure, whose status is returned). */
static nd_status gather_rows(nd_mpi_ctx *c, const nd_split_in *in, const local_rows *l,
                             const uint64_t *counts, nd_front_out *o) {
    nd_status st = ND_OK;
    size_t per = rows_per_msg(in);
    unsigned char *buf = must(c, nd_mallocn(per, ROW_BYTES));
    for (size_t i0 = 0; i0 < l->n; i0 += per) {
        size_t m = ND_MIN(per, l->n - i0);
        pack_rows(l, i0, m, buf);
        if (st == ND_OK) st = take_rows(buf, m, i0, o);
    }
    size_t base = l->n;
    for (int k = 1; k < c->size; k++) {
        uint64_t left = counts[k];
        while (left) {
            MPI_Status ms;
            int bytes = 0;
            MPI_Recv(buf, (int)(per * ROW_BYTES), MPI_BYTE, k, ND_TAG_ROWS, c->comm, &ms);
            MPI_Get_count(&ms, MPI_BYTE, &bytes);
            size_t m = (size_t)bytes / ROW_BYTES;
            if (m == 0 || m > left || (size_t)bytes % ROW_BYTES) {
                fprintf(stderr, "neardup-mpi: rank 0: malformed rows from rank %d\n", k);
                MPI_Abort(c->comm, 3);
            }
            if (st == ND_OK) st = take_rows(buf, m, base, o);
            base += m;
            left -= m;
            c->st.bytes_recv += (uint64_t)bytes;
        }
    }
    free(buf);
    return st;
}

/* Step 10 on rank 0, for a sparse report: the paragraphs it holds - every
 * vertex of the forest e[0 .. ne) (root << 32 | member), ascending - as
 * o->sparse.held, their rows read back from the rows file into the arrays
 * (alloc_rows), and each member linked under its root in that numbering. */
static nd_status hold_rows(nd_mpi_ctx *c, const nd_split_in *in, const uint64_t *e, size_t ne,
                           uint64_t total, nd_front_out *o) {
    nd_status st = ND_OK;
    size_t k = 0, m = 0;
    uint64_t *all = must(c, nd_mallocn(2 * ne + 1, sizeof *all));
    uint64_t *tmp = must(c, nd_mallocn(2 * ne + 1, sizeof *tmp));
    unsigned char *buf = NULL;
    for (size_t i = 0; i < ne; i++) {
        all[k++] = e[i] >> 32;
        all[k++] = (uint32_t)e[i];
    }
    nd_sort_u64(all, tmp, k);
    free(tmp);
    uint32_t *held = must(c, nd_mallocn(k + 1, sizeof *held));
    for (size_t i = 0; i < k; i++)
        if (m == 0 || all[i] != held[m - 1]) held[m++] = (uint32_t)all[i];
    free(all);
    o->sparse.held = held;
    o->sparse.np_all = (size_t)total;
    ND_CHECK(alloc_rows(o, m, in->opt->max_paragraph_bytes));
    /* windows of up to `per` rows, read from the first row not yet read */
    size_t per = rows_per_msg(in);
    buf = must(c, nd_mallocn(per, ROW_BYTES));
    uint64_t w0 = 0, w1 = 0; /* ids of the window */
    for (size_t i = 0; i < m; i++) {
        if (held[i] < w0 || held[i] >= w1) {
            w0 = held[i];
            w1 = ND_MIN(w0 + per, total);
            ND_CHECK(
                nd_spill_read(&o->sparse.rows, w0 * ROW_BYTES, buf, (size_t)(w1 - w0) * ROW_BYTES));
        }
        nd_row row;
        nd_row_unpack(buf + (size_t)(held[i] - w0) * ROW_BYTES, &row);
        put_row(o, i, &row);
    }
    for (size_t i = 0; i < ne; i++)
        o->link[index_of(held, m, (uint32_t)e[i])] = index_of(held, m, (uint32_t)(e[i] >> 32));
out:
    free(buf);
    return st;
}

/* Step 8 on the other ranks. */
static void send_rows(nd_mpi_ctx *c, const nd_split_in *in, const local_rows *l) {
    size_t per = rows_per_msg(in);
    unsigned char *buf = must(c, nd_mallocn(per, ROW_BYTES));
    for (size_t i0 = 0; i0 < l->n; i0 += per) {
        size_t m = ND_MIN(per, l->n - i0);
        pack_rows(l, i0, m, buf);
        MPI_Send(buf, (int)(m * ROW_BYTES), MPI_BYTE, 0, ND_TAG_ROWS, c->comm);
        c->st.bytes_sent += (uint64_t)(m * ROW_BYTES);
    }
    free(buf);
}
/* --- passages (step 11b) ------------------------------------------------- */

/* The documents rank r fingerprints for the passages: [pdoc[r], pdoc[r + 1]),
 * its share's documents less the one it starts inside (a cut document
 * belongs to the rank whose share holds its first byte); each document to
 * one rank, in rank order. */
static void passage_docs(const share_at *first, int size, uint64_t ndocs, uint64_t *pdoc) {
    pdoc[0] = 0;
    for (int r = 1; r < size; r++) {
        uint64_t d = (uint64_t)first[r].doc + (first[r].off ? 1 : 0);
        pdoc[r] = ND_MAX(pdoc[r - 1], ND_MIN(d, ndocs));
    }
    pdoc[size] = ndocs;
}

/* The exchanges of the fingerprint stage (stage.h, nd_fp_exchange): rank
 * k groups the buckets [fp_bucket0(k), fp_bucket0(k + 1)), and a pair's
 * seeds go to pair_aligner's rank. */
typedef struct fp_trade_ctx {
    nd_mpi_ctx *c;
    const uint64_t *pdoc; /* passage_docs */
} fp_trade_ctx;

static size_t fp_bucket0(int k, int size) {
    return ((size_t)k * ND_FP_BUCKETS + (size_t)size - 1) / (size_t)size;
}

static nd_status fp_send_fingerprints(void *user, nd_status st, const nd_fp *fp,
                                      const size_t *start, nd_fp **got, size_t **gstart,
                                      size_t *nsrc) {
    fp_trade_ctx *f = user;
    nd_mpi_ctx *c = f->c;
    const int n = c->size;
    const size_t nb1 = ND_FP_BUCKETS + 1;
    *got = NULL;
    *gstart = NULL;
    *nsrc = 0;
    ND_TRY(status_vote(c, st));
    /* every rank's bucket starts: where each source's buckets begin in
     * what this rank receives from it */
    uint64_t *mine = must(c, nd_mallocn(nb1, sizeof *mine));
    uint64_t *all = must(c, nd_mallocn((size_t)n * nb1, sizeof *all));
    uint64_t *cnt = must(c, nd_mallocn(2 * (size_t)n, sizeof *cnt)), *rcnt = cnt + n;
    for (size_t b = 0; b < nb1; b++) mine[b] = start[b];
    MPI_Allgather(mine, (int)nb1, MPI_UINT64_T, all, (int)nb1, MPI_UINT64_T, c->comm);
    for (int k = 0; k < n; k++) cnt[k] = start[fp_bucket0(k + 1, n)] - start[fp_bucket0(k, n)];
    void *recv = NULL;
    st = all_to_all(c, fp, cnt, sizeof *fp, &recv, rcnt);
    if (st == ND_OK) {
        const size_t b0 = fp_bucket0(c->rank, n), b1 = fp_bucket0(c->rank + 1, n);
        size_t *gs = must(c, nd_mallocn((size_t)n * nb1, sizeof *gs));
        for (int k = 0, off = 0; k < n; off += (int)rcnt[k], k++) {
            const uint64_t *sk = all + (size_t)k * nb1;
            for (size_t b = 0; b < nb1; b++) {
                size_t bb = ND_MIN(ND_MAX(b, b0), b1); /* others' buckets: empty */
                gs[(size_t)k * nb1 + b] = (size_t)off + (size_t)(sk[bb] - sk[b0]);
            }
        }
        *got = recv;
        *gstart = gs;
        *nsrc = (size_t)n;
    }
    free(mine);
    free(all);
    free(cnt);
    return st;
}

/* A seed on the wire: the seed and its flag. */
typedef struct seed_rec {
    nd_seed s;
    uint32_t one;
} seed_rec;

/* The rank that aligns documents a <= b: the one that fingerprinted a or
 * the one that fingerprinted b, as a hash of the pair picks (the first
 * document alone would give the ranks of the first documents most pairs:
 * with pairs spread evenly, 7 / 16 of them to the first of 4 ranks), so
 * that it holds one of the two texts already. */
static int pair_aligner(const uint64_t *pdoc, int size, uint32_t a, uint32_t b) {
    uint64_t v = (uint64_t)a << 32 | b;
    return id_owner(pdoc, size, (v * UINT64_C(0x9E3779B97F4A7C15)) >> 63 ? a : b);
}

static nd_status fp_send_seeds(void *user, nd_status st, const nd_seed *s, const uint8_t *one,
                               size_t ns, nd_seed **got, uint8_t **got_one, size_t *ngot) {
    fp_trade_ctx *f = user;
    nd_mpi_ctx *c = f->c;
    const int n = c->size;
    *got = NULL;
    *got_one = NULL;
    *ngot = 0;
    ND_TRY(status_vote(c, st));
    uint64_t *cnt = must(c, nd_calloc(3 * (size_t)n, sizeof *cnt)), *rcnt = cnt + n,
             *at = cnt + 2 * n;
    int *to = must(c, nd_mallocn(ns ? ns : 1, sizeof *to));
    seed_rec *buf = must(c, nd_mallocn(ns ? ns : 1, sizeof *buf));
    for (size_t i = 0; i < ns; i++) cnt[to[i] = pair_aligner(f->pdoc, n, s[i].a, s[i].b)]++;
    for (int k = 1; k < n; k++) at[k] = at[k - 1] + cnt[k - 1];
    for (size_t i = 0; i < ns; i++) buf[at[to[i]]++] = (seed_rec){s[i], one[i]};
    void *recv = NULL;
    st = all_to_all(c, buf, cnt, sizeof *buf, &recv, rcnt);
    free(buf);
    free(to);
    if (st == ND_OK) {
        size_t m = 0;
        for (int k = 0; k < n; k++) m += (size_t)rcnt[k];
        const seed_rec *in = recv;
        nd_seed *gs = must(c, nd_mallocn(m ? m : 1, sizeof *gs));
        uint8_t *go = must(c, nd_mallocn(m ? m : 1, 1));
        for (size_t i = 0; i < m; i++) {
            gs[i] = in[i].s;
            go[i] = (uint8_t)in[i].one;
        }
        *got = gs;
        *got_one = go;
        *ngot = m;
    }
    free(recv);
    free(cnt);
    return st;
}

/* Rank 0: the ranks' pairwise passages, each rank's sorted by pair and
 * every pair's on one rank, into the order of one nd_stage_align - by pair
 * (a, b), each pair's as its rank gave them (a stable sort by pair). */
static void order_passages(nd_mpi_ctx *c, nd_pair_passage **ps, size_t n) {
    if (c->size == 1 || n < 2) return;
    if (n > UINT32_MAX) must(c, NULL); /* (the payload's width) */
    nd_key32 *kv = must(c, nd_mallocn(2 * n, sizeof *kv));
    nd_pair_passage *v = *ps, *to = must(c, nd_mallocn(n, sizeof *to));
    for (size_t i = 0; i < n; i++)
        kv[i] = (nd_key32){.key = (uint64_t)v[i].a << 32 | v[i].b, .val = (uint32_t)i};
    nd_sort_key32(kv, kv + n, n);
    for (size_t i = 0; i < n; i++) to[i] = v[kv[i].val];
    free(kv);
    free(v);
    *ps = to;
}

/* Step 11b, --passages: the passage stages shared out.  Each rank
 * fingerprints the documents passage_docs gives it (nd_stage_fingerprint
 * with the exchanges above: the buckets' fingerprints go to the ranks
 * that group them, the seeds to pair_aligner's rank, which keeps the texts
 * of the other documents its pairs name) and aligns its pairs
 * (nd_stage_align); rank 0 receives every rank's pairwise passages, puts
 * them in one alignment's order (order_passages), and the documents'
 * normalised characters (summed: each counted by one rank), and hands them
 * to the driver, which makes the records (nd_stage_passage) as a single
 * process does. */
static nd_status passages_share(nd_mpi_ctx *c, nd_exec *x, nd_report *r, const nd_split_in *in,
                                const share_at *first, nd_front_out *out) {
    _Static_assert(sizeof(nd_pair_passage) % sizeof(uint64_t) == 0, "passages go as u64s");
    const size_t words = sizeof(nd_pair_passage) / sizeof(uint64_t);
    nd_doctab *docs = nd_report_doctab(r);
    const nd_options *o = in->opt;
    const size_t nd = docs->n;
    uint64_t *pdoc = must(c, nd_mallocn((size_t)c->size + 1, sizeof *pdoc));
    passage_docs(first, c->size, nd, pdoc);
    fp_trade_ctx f = {c, pdoc};
    nd_fp_exchange xc = {&f, fp_send_fingerprints, fp_send_seeds};
    nd_fingerprint_in fi;
    nd_fingerprint_in_init(&fi, docs, o, in->tmpdir, in->limit);
    fi.xchg = &xc;
    fi.doc_first = (size_t)pdoc[c->rank];
    fi.doc_end = (size_t)pdoc[c->rank + 1];
    nd_fingerprint_out fo;
    nd_align_out ao;
    memset(&ao, 0, sizeof ao);
    nd_status st = nd_stage_fingerprint(x, &fi, &fo); /* votes in its exchanges */
    if (st == ND_OK) {
        nd_align_in ai;
        nd_align_in_init(&ai, &fi, o, &fo);
        st = nd_stage_align(x, &ai, &ao);
    }
    st = status_vote(c, st);
    if (st == ND_OK) {
        uint64_t *dc = c->rank == 0 ? must(c, nd_calloc(nd ? nd : 1, sizeof *dc)) : NULL;
        MPI_Reduce(fo.doc_chars, dc, (int)nd, MPI_UINT64_T, MPI_SUM, 0, c->comm);
        if (c->rank == 0) {
            size_t nv = ao.n * words, cap = nv ? nv : 1;
            uint64_t *v = must(c, nd_mallocn(cap, sizeof *v));
            if (nv) memcpy(v, ao.ps, nv * sizeof *v);
            for (int k = 1; k < c->size; k++) recv_u64s(c, k, &v, &nv, &cap);
            out->passaged = 1;
            out->ps = (nd_pair_passage *)(void *)v;
            out->nps = nv / words;
            order_passages(c, &out->ps, out->nps);
            out->doc_chars = dc;
        } else {
            send_u64s(c, 0, (const uint64_t *)(const void *)ao.ps, ao.n * words);
        }
    }
    nd_fingerprint_out_release(&fo);
    free(ao.ps);
    free(pdoc);
    return st;
}

/* The front (scan_hook.h): steps 2 to 12. */
static nd_status mpi_front(void *user, nd_exec *x, nd_report *r, const nd_split_in *in,
                           nd_front_out *out) {
    nd_mpi_ctx *c = user;
    nd_status st = ND_OK;
    nd_doctab *docs = nd_report_doctab(r);
    int n = c->size;
    c->in_front = 1;
    share_at *first = nd_mallocn((size_t)n + 1, sizeof *first);
    uint64_t *counts = must(c, nd_mallocn((size_t)n, sizeof *counts));
    uint64_t *base = must(c, nd_mallocn((size_t)n + 1, sizeof *base));
    uint64_t *forest = NULL;
    size_t nf = 0;
    local_rows l;
    nd_pairs pairs, owned;
    double *jac = NULL;
    unsigned char *pass = NULL;
    memset(&l, 0, sizeof l);
    l.spill.fd = -1;
    memset(&pairs, 0, sizeof pairs);
    memset(&owned, 0, sizeof owned);
    double t0 = now_seconds(), c0 = cpu_seconds();

    /* 2. this rank's share; then every rank learns whether all went well */
    if (!first) st = ND_ERR_NOMEM;
    if (st == ND_OK && (docs->stdin_seen || docs->n > (size_t)INT_MAX)) st = ND_ERR_INVALID;
    if (st == ND_OK) {
        share_bounds(docs, n, first);
        const share_at *a = &first[c->rank], *b = &first[c->rank + 1];
        size_t d0 = a->doc, d1 = b->off ? b->doc + 1 : b->doc;
        c->st.doc_first = d0;
        c->st.doc_end = d1;
        c->st.share_bytes = b->pos - a->pos;
        st = split_share(x, r, in, d0, d1, a->off, b->off, b->pos - a->pos, &l, &c->st.split_read);
        c->st.rows = l.n;
        c->st.batches = l.spilled ? l.nbatches : 0;
    }
    double t1 = now_seconds();
    c->st.t_local = t1 - t0;
    c->st.cpu_local = cpu_seconds() - c0;
    st = status_vote(c, st);
    if (st != ND_OK) {
        if (c->rank == 0 && docs->stdin_seen)
            fprintf(stderr, "neardup-mpi: standard input ('-') cannot be shared among ranks\n");
        goto out;
    }
    shift_lines(c, first, &l);

    /* 3. counts: every rank learns the ids of every share */
    uint64_t n_local = l.n;
    MPI_Allgather(&n_local, 1, MPI_UINT64_T, counts, 1, MPI_UINT64_T, c->comm);
    base[0] = 0;
    for (int k = 0; k < n; k++) base[k + 1] = base[k] + counts[k];
    l.base = base[c->rank];
    uint64_t total = base[n];
    if (total >= UINT32_MAX) { /* the same on every rank */
        st = ND_ERR_INVALID;
        goto out;
    }
    /* a sparse report on rank 0: the rows in a file, only the clusters'
     * members' in memory (clean reads the others back from the file) */
    if (c->rank == 0) st = alloc_docs(out, docs->n);
    if (c->rank == 0 && st == ND_OK) {
        int err = 0;
        st = nd_spill_open(&out->sparse.rows, in->tmpdir, &err);
    }
    st = status_vote(c, st);
    ND_CHECK(st);

    /* 4. per document; 5. exact groups; 6. LSH buckets; 7. pairs; 8. rows */
    reduce_docs(c, docs, &l, out);
    reduce_counts(c, in, &l, out);
    double t2 = now_seconds();
    nd_exec_begin(x, ND_STAGE_EXACT, 0);
    ND_CHECK(exchange_exact(c, x, in, base, &l));
    double t3 = now_seconds();
    c->st.t_exact = t3 - t2;
    ND_CHECK(exchange_bands(c, x, in, total, &l, &pairs));
    c->st.t_lsh = now_seconds() - t3;
    c->st.pairs = pairs.n;
    ND_CHECK(status_vote(c, route_pairs(c, base, &pairs, &owned)));
    nd_pairs_release(&pairs);
    if (c->rank == 0)
        st = gather_rows(c, in, &l, counts, out);
    else
        send_rows(c, in, &l);
    ND_CHECK(status_vote(c, st));

    /* 9. the verification of each rank's candidate pairs */
    double t4 = now_seconds(), c4 = cpu_seconds();
    nd_exec_begin(x, ND_STAGE_VERIFY, owned.n);
    ND_CHECK(status_vote(c, verify_share(c, x, r, in, base, &l, &owned, &jac, &pass)));
    c->st.t_verify = now_seconds() - t4;
    c->st.cpu_verify = cpu_seconds() - c4;
    c->st.verified = owned.n;
    uint64_t mine[2] = {owned.n, 0}, sum[2] = {0, 0};
    for (size_t i = 0; i < owned.n; i++) mine[1] += pass[i] != 0;
    MPI_Reduce(mine, sum, 2, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    out->candidates = sum[0];
    out->verified = sum[1];

    /* 10. clusters; 11. similarities; 12. the changed flags again */
    double t5 = now_seconds();
    merge_forests(c, &l, &owned, pass, &forest, &nf);
    if (c->rank == 0) st = hold_rows(c, in, forest, nf, total, out);
    ND_CHECK(status_vote(c, st));
    ND_CHECK(answer_sims(c, x, r, in, base, &l, &owned, jac, forest, nf, out));
    if (c->rank == 0) /* the pairs in the held rows' numbering */
        for (size_t i = 0; i < out->pairs.n; i++) {
            size_t m = out->split.pt->n;
            uint64_t v = out->pairs.v[i];
            out->pairs.v[i] = (uint64_t)index_of(out->sparse.held, m, (uint32_t)(v >> 32)) << 32 |
                              index_of(out->sparse.held, m, (uint32_t)v);
        }
    c->st.t_cluster = now_seconds() - t5;
    if (in->opt->passages) { /* the share's rows are not needed any more */
        local_rows_release(&l);
        ND_CHECK(passages_share(c, x, r, in, first, out));
    }
    reduce_changed(c, docs);
    if (c->rank != 0) out->stop = 1;
out:
    c->st.t_exchange = now_seconds() - t1;
    nd_pairs_release(&pairs);
    nd_pairs_release(&owned);
    free(jac);
    free(pass);
    free(forest);
    local_rows_release(&l);
    free(first);
    free(counts);
    free(base);
    return st;
}

/* --stats: one line per rank, printed by rank 0 in rank order. */
static void print_rank_stats(nd_mpi_ctx *c) {
    nd_mpi_stats *all = c->rank == 0 ? nd_mallocn((size_t)c->size, sizeof *all) : NULL;
    int have = c->rank != 0 || all != NULL, every = 0;
    MPI_Allreduce(&have, &every, 1, MPI_INT, MPI_MIN, c->comm);
    if (!every) return; /* (rank 0 out of memory: no table) */
    MPI_Gather(&c->st, (int)sizeof c->st, MPI_BYTE, all, (int)sizeof c->st, MPI_BYTE, 0, c->comm);
    if (c->rank == 0) {
        fprintf(stderr,
                "neardup-mpi: stats per rank (%d rank%s; rank 0 also runs the "
                "cluster stage and the report)\n",
                c->size, c->size == 1 ? "" : "s");
        fprintf(stderr,
                "  %4s %11s %8s %9s %8s %8s %8s %8s %9s %8s %8s %8s %8s %8s %8s %9s %8s %8s %11s "
                "%11s %8s %7s\n",
                "rank", "documents", "MB", "paragr.", "front s", "cpu s", "exact s", "lsh s",
                "rounds", "pairs", "verify s", "cpu s", "verif.", "clust s", "forest", "sims/new",
                "run s", "cpu s", "sent", "received", "read MB", "peak MB");
        for (int k = 0; k < c->size; k++) {
            const nd_mpi_stats *s = &all[k];
            char docs[32];
            char sims[32], rounds[32];
            snprintf(rounds, sizeof rounds, "%llu/%llu/%llu", (unsigned long long)s->exact_rounds,
                     (unsigned long long)s->rounds, (unsigned long long)s->batches);
            snprintf(docs, sizeof docs, "%llu-%llu", (unsigned long long)s->doc_first,
                     (unsigned long long)s->doc_end);
            snprintf(sims, sizeof sims, "%llu/%llu", (unsigned long long)s->sims,
                     (unsigned long long)s->sims_new);
            fprintf(stderr,
                    "  %4d %11s %8.1f %9llu %8.3f %8.3f %8.3f %8.3f %9s %8llu %8.3f %8.3f %8llu "
                    "%8.3f %8llu %9s %8.3f %8.3f %11llu %11llu %8.1f %7.1f\n",
                    k, docs, (double)s->share_bytes / 1e6, (unsigned long long)s->rows, s->t_local,
                    s->cpu_local, s->t_exact, s->t_lsh, rounds, (unsigned long long)s->pairs,
                    s->t_verify, s->cpu_verify, (unsigned long long)s->verified, s->t_cluster,
                    (unsigned long long)s->forest, sims, s->t_run, s->cpu_run,
                    (unsigned long long)s->bytes_sent, (unsigned long long)s->bytes_recv,
                    (double)s->split_read / 1e6, (double)s->peak_rss / 1e6);
        }
    }
    free(all);
}

nd_status nd_mpi_scan_run(void *user, nd_scanner *sc, int stats, nd_report **out) {
    nd_mpi_ctx *c = user;
    nd_status st;
    double t0 = now_seconds();
    c->entered = 1;
    *out = NULL;
    if (!ready_vote(c, 1)) { /* 1. a rank could not start */
        c->peer_failed = 1;
        if (c->rank == 0)
            fprintf(stderr, "neardup-mpi: another rank failed before the scan; stopping\n");
        return ND_ERR_STATE;
    }
    c->in_front = 0;
    st = nd_scanner_run_front(sc, mpi_front, c, out);
    /* the driver failed before its front (set-up): cast the status vote of
     * step 2 the others are waiting in, so that they stop too */
    if (!c->in_front) (void)status_vote(c, st != ND_OK ? st : ND_ERR_INTERNAL);
    /* the other ranks wait here, idle, while rank 0 runs the later stages */
    MPI_Request req;
    MPI_Ibarrier(c->comm, &req);
    wait_req(&req);
    c->st.t_run = now_seconds() - t0;
    c->st.peak_rss = peak_rss_bytes();
    c->st.cpu_run = cpu_seconds();
    if (stats) print_rank_stats(c);
    return st;
}
