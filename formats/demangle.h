/* Demangling C++ (Itanium ABI) and Rust (legacy and v0) names with libiberty's demangler, in
 * the form llvm-symbolizer and c++filt print (parameters included). */
#ifndef UV_DEMANGLE_H
#define UV_DEMANGLE_H

#include "formats/arena.h"

#include <stddef.h>

/* The demangled form of `name` (NUL-terminated) allocated in `arena`, or NULL when `name` is
 * not a mangled name (or cannot be demangled): callers then print it as it is. */
const char *uv_demangle(const char *name, size_t len, uv_arena *arena);

#endif
