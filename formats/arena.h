/* Arena: one per parsed artifact or request; everything allocated from it is freed at once.
 * Built with UV_ARENA_MALLOC each allocation is a real malloc, so ASan/valgrind see overflows. */
#ifndef UV_ARENA_H
#define UV_ARENA_H

#include <stddef.h>

typedef struct uv_arena uv_arena;

/* Creates an empty arena. Returns 0 or UV_ENOMEM. Free with uv_arena_free. */
int uv_arena_new(uv_arena **out);

/* Frees every allocation and the arena; accepts NULL. */
void uv_arena_free(uv_arena *arena);

/* Returns `size` bytes aligned to 16, or NULL (with UV_ENOMEM recorded) when out of memory
 * or when size overflows. Memory is uninitialised. Lives until uv_arena_free. */
void *uv_arena_alloc(uv_arena *arena, size_t size);

/* Like uv_arena_alloc for `count` elements of `size`, zeroed, overflow-checked. */
void *uv_arena_calloc(uv_arena *arena, size_t count, size_t size);

/* Copies len bytes and appends a NUL. */
char *uv_arena_strndup(uv_arena *arena, const char *s, size_t len);

/* Bytes handed out so far (for limits and statistics). */
size_t uv_arena_used(const uv_arena *arena);

#endif
