#include "formats/arena.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Blocks grow geometrically from 64 KiB; a request larger than half a block gets its own. */
#define ARENA_FIRST_BLOCK (64u * 1024u)
#define ARENA_MAX_BLOCK (16u * 1024u * 1024u)

typedef struct block {
    struct block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} block;

struct uv_arena {
    block *head;
    size_t next_size;
    size_t used;
};

int uv_arena_new(uv_arena **out)
{
    uv_arena *a = calloc(1, sizeof *a);
    if (!a) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "arena: out of memory");
    a->next_size = ARENA_FIRST_BLOCK;
    *out = a;
    return 0;
}

void uv_arena_free(uv_arena *arena)
{
    if (!arena) return;
    block *b = arena->head;
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free(arena);
}

static block *new_block(size_t size)
{
    size_t total;
    if (__builtin_add_overflow(sizeof(block), size, &total)) return NULL;
    block *b = malloc(total);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *uv_arena_alloc(uv_arena *arena, size_t size)
{
    size_t rounded;
    if (__builtin_add_overflow(size, 15u, &rounded)) goto oom;
    rounded &= ~(size_t)15u;
    if (rounded == 0) rounded = 16;
    arena->used += rounded;
#ifdef UV_ARENA_MALLOC
    block *own = new_block(rounded);
    if (!own) goto oom;
    own->used = rounded;
    own->next = arena->head;
    arena->head = own;
    return own->data;
#else
    block *b = arena->head;
    if (b && b->size - b->used >= rounded) {
        void *p = b->data + b->used;
        b->used += rounded;
        return p;
    }
    if (rounded > arena->next_size / 2) {
        /* A big request gets a block of its own, kept behind the current one. */
        block *own = new_block(rounded);
        if (!own) goto oom;
        own->used = rounded;
        if (b) {
            own->next = b->next;
            b->next = own;
        } else {
            own->next = NULL;
            arena->head = own;
        }
        return own->data;
    }
    block *nb = new_block(arena->next_size);
    if (!nb) goto oom;
    if (arena->next_size < ARENA_MAX_BLOCK) arena->next_size *= 2;
    nb->next = b;
    arena->head = nb;
    nb->used = rounded;
    return nb->data;
#endif
oom:
    uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "arena: cannot allocate %zu bytes", size);
    return NULL;
}

void *uv_arena_calloc(uv_arena *arena, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "arena: %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    void *p = uv_arena_alloc(arena, total);
    if (p) memset(p, 0, total);
    return p;
}

char *uv_arena_strndup(uv_arena *arena, const char *s, size_t len)
{
    size_t total;
    if (__builtin_add_overflow(len, 1u, &total)) return NULL;
    char *p = uv_arena_alloc(arena, total);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

size_t uv_arena_used(const uv_arena *arena)
{
    return arena->used;
}
