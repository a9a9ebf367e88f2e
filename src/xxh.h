/*
 * xxh.h - XXH3 for inputs that may be long (paragraph bytes, a paragraph's
 * token values): through xxHash's x86 dispatcher where the installed
 * library has it (Debian's does; CMake checks), so the long-input loop runs
 * with AVX2 or AVX-512 when the CPU has them instead of the SSE2 build of
 * the plain entry points.  The values are the same either way (one
 * algorithm, other instructions).  Measured with callgrind on 3.6 MB of the
 * Chinese bench corpus: the exact keys (XXH3-128 of about 1 KB of token
 * values per paragraph) and the paragraph hashes were 9 % of all
 * instructions through the SSE2 loop.  Files that inline XXH3 for short
 * constant lengths (lsh.c, sketch.c, text.c) do not include this.
 */
#ifndef ND_XXH_H
#define ND_XXH_H

#include <xxhash.h>
#if defined(ND_HAVE_XXH_DISPATCH)
#include <xxh_x86dispatch.h> /* XXH3_64bits etc. become the _dispatch calls */
#endif

#endif /* ND_XXH_H */
