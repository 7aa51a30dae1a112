/* Minidumps (Breakpad, Crashpad, Windows MiniDumpWriteDump) read into the crash dump model
 * (formats/dump.h): header, stream directory, SystemInfo, MiscInfo, ThreadList, ThreadNames,
 * ModuleList (CodeView RSDS → debug ID, BpEL → build-id, VS_FIXEDFILEINFO version),
 * MemoryList, Memory64List, Exception (with its context), LinuxMaps, Breakpad's Linux
 * streams where they help (LinuxCpuInfo, LinuxLsbRelease). Contexts: x86-64, x86, arm64.
 * Zero-copy where it can; every offset and count is checked against the file size, so any
 * byte string gets either a dump or a clear error. */
#ifndef UV_MINIDUMP_H
#define UV_MINIDUMP_H

#include "formats/dump.h"

#include <stdbool.h>
#include <stddef.h>

/* True when `bytes` start with the minidump signature "MDMP". */
bool uv_minidump_is(const void *bytes, size_t len);

/* Parses a minidump. Not a minidump → UV_EINVALID; truncated or inconsistent → UV_ECORRUPT
 * with the stream (by name) and offset in the message. Streams this reader does not know are
 * skipped. The bytes must outlive the dump. */
int uv_minidump_parse(uv_dump **out, const void *bytes, size_t len);

#endif
