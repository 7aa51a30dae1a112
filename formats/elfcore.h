/* Linux ELF core files read into the crash dump model (formats/dump.h): NT_PRSTATUS per
 * thread (registers, tid, signal), NT_PRPSINFO (process name), NT_SIGINFO (signal, si_code,
 * fault address), NT_FILE (file mappings), NT_AUXV, PT_LOAD memory. Each mapped file becomes
 * a module (base = start of its mapping at file offset 0, size up to the end of its last
 * mapping); its build-id is read from the ELF header and notes in the dumped memory when the
 * core holds that page. x86-64 and arm64 (and i386 where registers allow). No file I/O: the
 * caller may complete modules from the files on disk (uv_elfcore_module_needs_file). */
#ifndef UV_ELFCORE_H
#define UV_ELFCORE_H

#include "formats/dump.h"

#include <stdbool.h>
#include <stddef.h>

/* True when `bytes` are an ELF file of type ET_CORE. */
bool uv_elfcore_is(const void *bytes, size_t len);

/* Parses a core file. Not an ELF core → UV_EINVALID; truncated or inconsistent → UV_ECORRUPT
 * naming the note/segment and offset. The bytes must outlive the dump. The crashing thread
 * is the one whose NT_PRSTATUS has a non-zero pr_cursig (the first thread otherwise);
 * crash_reason is spelled like Breakpad's Linux reasons ("SIGSEGV /SEGV_MAPERR",
 * "SIGABRT", "SIGBUS /BUS_ADRERR", …). */
int uv_elfcore_parse(uv_dump **out, const void *bytes, size_t len);

/* True when the module's build-id could not be read from the core's memory (then the caller
 * reads it from the file at `path`, if it exists, and checks its size/identity). */
bool uv_elfcore_module_needs_file(const uv_dump_module *module);

#endif
