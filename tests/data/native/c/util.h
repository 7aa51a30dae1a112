/* Helpers shared by the C test program: header-defined inline functions give inlined frames
 * whose call site is in one file and whose body is in another. */
#ifndef NATIVE_UTIL_H
#define NATIVE_UTIL_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static inline __attribute__((always_inline)) uint32_t mix32(uint32_t h, uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    k *= 0x1b873593u;
    h ^= k;
    h = rotl32(h, 13);
    return h * 5 + 0xe6546b64u;
}

uint32_t hash_bytes(const void *data, size_t len, uint32_t seed);
uint64_t checksum_words(const uint32_t *words, size_t count);

struct tree;
struct tree *tree_insert(struct tree *root, int key);
int tree_height(const struct tree *root);
long tree_sum(const struct tree *root);
void tree_free(struct tree *root);

typedef long (*reducer_fn)(long acc, long value);
long reduce(const long *values, size_t count, long init, reducer_fn fn);
reducer_fn pick_reducer(int which);

#endif
