/*
 * layout.c - prints the size and every field's offset of the structs the
 * Python binding mirrors (python/neardup/__init__.py), as
 * "STRUCT SIZE" and "STRUCT.FIELD OFFSET" lines; test_neardup.py compares
 * them with ctypes' idea of the same structs.
 */
#include <stddef.h>
#include <stdio.h>

#include <neardup.h>

#define S(T)    printf(#T " %zu\n", sizeof(T))
#define F(T, f) printf(#T "." #f " %zu\n", offsetof(T, f))

int main(void) {
    S(nd_options);
    F(nd_options, split);
    F(nd_options, min_chars);
    F(nd_options, norm_flags);
    F(nd_options, shingle);
    F(nd_options, num_perm);
    F(nd_options, seed);
    F(nd_options, threshold);
    F(nd_options, bands);
    F(nd_options, rows);
    F(nd_options, max_file_size);
    F(nd_options, threads);
    F(nd_options, max_paragraph_bytes);
    F(nd_options, memory_limit);
    F(nd_options, common_docs);
    F(nd_options, encoding);
    F(nd_options, jsonl_field);
    F(nd_options, id_field);
    F(nd_options, passages);
    F(nd_options, min_passage);
    F(nd_options, max_gap);
    S(nd_diag);
    F(nd_diag, path);
    F(nd_diag, status);
    F(nd_diag, sys_errno);
    F(nd_diag, detail);
    S(nd_summary);
    F(nd_summary, files);
    F(nd_summary, split_line);
    F(nd_summary, split_blank);
    F(nd_summary, skipped);
    F(nd_summary, bytes);
    F(nd_summary, paragraphs);
    F(nd_summary, short_paragraphs);
    F(nd_summary, chars);
    F(nd_summary, clustered_paragraphs);
    F(nd_summary, clusters);
    F(nd_summary, duplicated_chars);
    F(nd_summary, candidate_pairs);
    F(nd_summary, verified_pairs);
    F(nd_summary, common_clusters);
    F(nd_summary, bands);
    F(nd_summary, rows);
    F(nd_summary, num_perm);
    F(nd_summary, shingle);
    F(nd_summary, threshold);
    F(nd_summary, common_docs);
    F(nd_summary, passages);
    F(nd_summary, min_passage);
    F(nd_summary, passage_records);
    F(nd_summary, common_passages);
    S(nd_document_info);
    F(nd_document_info, path);
    F(nd_document_info, bytes);
    F(nd_document_info, paragraphs);
    F(nd_document_info, chars);
    F(nd_document_info, elsewhere_chars);
    F(nd_document_info, within_chars);
    F(nd_document_info, split);
    F(nd_document_info, gzip);
    F(nd_document_info, encoding);
    F(nd_document_info, query);
    F(nd_document_info, text_chars);
    S(nd_paragraph_info);
    F(nd_paragraph_info, doc);
    F(nd_paragraph_info, line);
    F(nd_paragraph_info, offset);
    F(nd_paragraph_info, length);
    F(nd_paragraph_info, chars);
    F(nd_paragraph_info, cluster);
    F(nd_paragraph_info, similarity);
    S(nd_cluster_info);
    F(nd_cluster_info, size);
    F(nd_cluster_info, documents);
    F(nd_cluster_info, chars);
    F(nd_cluster_info, members);
    S(nd_overlap_info);
    F(nd_overlap_info, a);
    F(nd_overlap_info, b);
    F(nd_overlap_info, a_in_b);
    F(nd_overlap_info, b_in_a);
    F(nd_overlap_info, clusters);
    S(nd_passage_record_info);
    F(nd_passage_record_info, places);
    F(nd_passage_record_info, documents);
    F(nd_passage_record_info, chars);
    F(nd_passage_record_info, similarity);
    F(nd_passage_record_info, common);
    S(nd_passage_place);
    F(nd_passage_place, doc);
    F(nd_passage_place, line);
    F(nd_passage_place, offset);
    F(nd_passage_place, length);
    F(nd_passage_place, chars);
    S(nd_write_options);
    F(nd_write_options, emit_paragraphs);
    F(nd_write_options, top);
    F(nd_write_options, preview);
    F(nd_write_options, stats);
    return 0;
}
