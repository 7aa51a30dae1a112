'use strict';
// Helpers shared by the node clients of scripts/bench/sourcemap.
const fs = require('fs');

// LINE:COLUMN per line → flat Int32 pairs [line, column, line, column, ...].
function readPositions(file) {
  const text = fs.readFileSync(file, 'latin1');
  const out = [];
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else if (c === 58 || c === 10) {
      out.push(value);
      value = 0;
    }
  }
  return out;
}

// ECMA-426 sourceRoot join of every entry of `sources` (no base URL).
function specSources(raw) {
  const root = typeof raw.sourceRoot === 'string' ? raw.sourceRoot : null;
  const prefix = root === null ? '' : root.endsWith('/') ? root : root + '/';
  return (raw.sources || []).map((s) => (s === null ? null : prefix + s));
}

// Prints results in `unravel sourcemap lookup`'s text format, buffered.
function writeResults(results) {
  const parts = [];
  for (const r of results) {
    if (!r || r.source === null || r.source === undefined) parts.push('null');
    else if (r.name === null || r.name === undefined) parts.push(`${r.source}:${r.line}:${r.column}`);
    else parts.push(`${r.source}:${r.line}:${r.column} ${r.name}`);
  }
  parts.push('');
  const bytes = Buffer.from(parts.join('\n'));
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(1, bytes, off, bytes.length - off);
}

module.exports = { readPositions, specSources, writeResults };
