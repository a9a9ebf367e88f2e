/*
 * introsort.h - an in-place comparison sort with the comparison inlined
 * (private).
 *
 * ND_INTROSORT(name, T, LESS) defines `static void name(T *v, size_t n)`,
 * which sorts v[0..n-1] ascending by LESS(x, y) (a strict weak order on two
 * T values): quicksort on a median-of-three pivot value (Hoare's partition,
 * so runs of equal keys split evenly), ranges of at most 16 finished by
 * insertion sort, and heapsort for a range once the quicksort has gone
 * 2 log2(n) levels deep (Musser, "Introspective Sorting and Selection
 * Algorithms", 1997), so crafted input cannot make it quadratic.  Not
 * stable.  It replaces qsort where the elements are small and the sort is
 * hot: qsort calls its comparator through a pointer and moves elements
 * with memcpy (glibc's is a merge sort), which made the seeds' and
 * fragments' sorts of `scan --passages` 10 % of its instructions (see
 * bench/README, "Round 9").
 */
#ifndef ND_INTROSORT_H
#define ND_INTROSORT_H

#include <stddef.h>

#define ND_INTROSORT(name, T, LESS)                                                                \
    static void name##_sift(T *v, size_t i, size_t n) {                                            \
        T x = v[i];                                                                                \
        for (size_t c; (c = 2 * i + 1) < n; i = c) {                                               \
            if (c + 1 < n && LESS(v[c], v[c + 1])) c++;                                            \
            if (!LESS(x, v[c])) break;                                                             \
            v[i] = v[c];                                                                           \
        }                                                                                          \
        v[i] = x;                                                                                  \
    }                                                                                              \
    static void name##_heap(T *v, size_t n) {                                                      \
        for (size_t i = n / 2; i-- > 0;) name##_sift(v, i, n);                                     \
        for (size_t m = n; m-- > 1;) {                                                             \
            T t = v[0];                                                                            \
            v[0] = v[m];                                                                           \
            v[m] = t;                                                                              \
            name##_sift(v, 0, m);                                                                  \
        }                                                                                          \
    }                                                                                              \
    static void name##_rec(T *v, size_t n, unsigned depth) {                                       \
        while (n > 16) {                                                                           \
            if (depth-- == 0) {                                                                    \
                name##_heap(v, n);                                                                 \
                return;                                                                            \
            }                                                                                      \
            const T *a = &v[0], *b = &v[n / 2], *c = &v[n - 1];                                    \
            const T *m = LESS(*a, *b) ? (LESS(*b, *c) ? b : (LESS(*a, *c) ? c : a))                \
                                      : (LESS(*a, *c) ? a : (LESS(*b, *c) ? c : b));               \
            const T p = *m;                                                                        \
            size_t i = 0, j = n - 1;                                                               \
            for (;;) {                                                                             \
                while (LESS(v[i], p)) i++;                                                         \
                while (LESS(p, v[j])) j--;                                                         \
                if (i >= j) break;                                                                 \
                T t = v[i];                                                                        \
                v[i] = v[j];                                                                       \
                v[j] = t;                                                                          \
                i++;                                                                               \
                j--;                                                                               \
            }                                                                                      \
            /* [0, j] <= p <= [j + 1, n): the smaller side first */                                \
            size_t left = j + 1;                                                                   \
            if (left < n - left) {                                                                 \
                name##_rec(v, left, depth);                                                        \
                v += left;                                                                         \
                n -= left;                                                                         \
            } else {                                                                               \
                name##_rec(v + left, n - left, depth);                                             \
                n = left;                                                                          \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = 1; i < n; i++) {                                                           \
            T x = v[i];                                                                            \
            size_t j = i;                                                                          \
            for (; j > 0 && LESS(x, v[j - 1]); j--) v[j] = v[j - 1];                               \
            v[j] = x;                                                                              \
        }                                                                                          \
    }                                                                                              \
    static void name(T *v, size_t n) {                                                             \
        unsigned depth = 0;                                                                        \
        for (size_t m = n; m > 1; m >>= 1) depth += 2;                                             \
        name##_rec(v, n, depth);                                                                   \
    }

#endif /* ND_INTROSORT_H */
