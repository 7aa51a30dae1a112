'use strict';
// Shared pieces of the source-map oracle test and benchmark: a seeded PRNG, the ECMA-426
// sourceRoot join, a generator of realistic lookup positions and the formatting of a lookup
// result in `unravel sourcemap lookup`'s text format.

// mulberry32: small, fast, deterministic; plenty for picking test positions.
function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A 32-bit seed from a string (FNV-1a), so each map gets its own deterministic stream.
function seedOf(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// ECMA-426 DecodeSourceMapSources without a base URL: a non-null sourceRoot becomes the prefix,
// with "/" appended unless it already ends with one; the source is appended as a plain string.
function specJoin(sourceRoot, source) {
  if (source === null || source === undefined) return null;
  if (typeof sourceRoot !== 'string') return String(source);
  const prefix = sourceRoot.endsWith('/') ? sourceRoot : sourceRoot + '/';
  return prefix + source;
}

// The sourceRoot-joined `sources` of a regular map, or of every section of an index map in
// section order.
function joinedSources(raw) {
  if (Array.isArray(raw.sections)) {
    const out = [];
    for (const section of raw.sections) out.push(...joinedSources(section.map));
    return out;
  }
  return (raw.sources || []).map((s) => specJoin(raw.sourceRoot, s));
}

// Decodes the generated columns of every segment of a regular map, per generated line
// (0-based). Only what position picking needs: no validation beyond what real maps require.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

function segmentColumns(mappings) {
  const lines = [[]];
  let column = 0;
  let field = 0;
  let value = 0;
  let shift = 0;
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i);
    if (c === 59 /* ; */) {
      lines.push([]);
      column = 0;
      field = 0;
      continue;
    }
    if (c === 44 /* , */) {
      field = 0;
      continue;
    }
    const digit = B64_VALUE[c];
    if (digit < 0) throw new Error('bad base64 in mappings at ' + i);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    const decoded = value % 2 === 1 ? -(value - 1) / 2 : value / 2;
    value = 0;
    shift = 0;
    if (field === 0) {
      column += decoded;
      lines[lines.length - 1].push(column);
    }
    field++;
  }
  return lines;
}

// Generated columns per generated line for a regular or index map (index maps: shifted by
// their section offsets, the first line of a section by its column offset).
function generatedColumns(raw) {
  if (!Array.isArray(raw.sections)) return segmentColumns(raw.mappings);
  const lines = [];
  for (const section of raw.sections) {
    const sub = generatedColumns(section.map);
    const { line: offLine, column: offColumn } = section.offset;
    sub.forEach((cols, i) => {
      const line = offLine + i;
      while (lines.length <= line) lines.push([]);
      for (const c of cols) lines[line].push(i === 0 ? c + offColumn : c);
    });
  }
  return lines;
}

// Picks `count` positions (1-based line, 0-based UTF-16 column) in generated text `js` whose
// map is `raw`: mostly inside real mapped lines, many exactly on or next to segment starts,
// some past the end of a line, on lines without mappings and past the last line.
function pickPositions(raw, js, count, rand) {
  const textLines = js.split('\n');
  const segs = generatedColumns(raw);
  const lineCount = Math.max(textLines.length, segs.length);
  const lengthOf = (l) => (l < textLines.length ? textLines[l].length : 0);
  const mapped = [];
  const unmapped = [];
  for (let l = 0; l < lineCount; l++) {
    if (l < segs.length && segs[l].length > 0) mapped.push(l);
    else unmapped.push(l);
  }
  // Segment starts weighted by how many a line has, so long minified lines dominate.
  const segmentLines = [];
  const segmentCum = [];
  let total = 0;
  for (const l of mapped) {
    total += segs[l].length;
    segmentLines.push(l);
    segmentCum.push(total);
  }
  const pickInt = (n) => Math.floor(rand() * n);
  const pickSegment = () => {
    const k = pickInt(total);
    let lo = 0;
    let hi = segmentCum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (segmentCum[mid] > k) hi = mid;
      else lo = mid + 1;
    }
    const l = segmentLines[lo];
    const before = lo === 0 ? 0 : segmentCum[lo - 1];
    return [l, segs[l][k - before]];
  };
  // Mapped lines weighted by their length, the way crash positions are.
  const lenCum = [];
  let lenTotal = 0;
  for (const l of mapped) {
    lenTotal += Math.max(1, lengthOf(l));
    lenCum.push(lenTotal);
  }
  const pickMappedLine = () => {
    const k = pickInt(lenTotal);
    let lo = 0;
    let hi = lenCum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lenCum[mid] > k) hi = mid;
      else lo = mid + 1;
    }
    return mapped[lo];
  };

  const out = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    let line;
    let column;
    if (mapped.length === 0 || r < 0.02) {
      // past the last line, or the very first position
      if (rand() < 0.5) {
        line = lineCount + 1 + pickInt(20);
        column = pickInt(200);
      } else {
        line = 1;
        column = 0;
      }
    } else if (r < 0.47) {
      line = pickMappedLine() + 1;
      column = pickInt(Math.max(1, lengthOf(line - 1)));
    } else if (r < 0.72) {
      [line, column] = pickSegment();
      line += 1;
    } else if (r < 0.84) {
      [line, column] = pickSegment();
      line += 1;
      column = Math.max(0, column + (rand() < 0.5 ? -1 : 1));
    } else if (r < 0.92) {
      line = pickMappedLine() + 1;
      const len = lengthOf(line - 1);
      column = rand() < 0.9 ? len + pickInt(100) : 1000000000 + pickInt(1000);
    } else if (unmapped.length > 0) {
      line = unmapped[pickInt(unmapped.length)] + 1;
      column = pickInt(lengthOf(line - 1) + 5);
    } else {
      line = lineCount + 1 + pickInt(5);
      column = pickInt(50);
    }
    out.push([line, column]);
  }
  return out;
}

// One result in the text format of `unravel sourcemap lookup`: SOURCE:LINE:COLUMN [NAME], or
// null. `r` is {source, line, column, name} with line 1-based and column 0-based, or null.
function formatText(r) {
  if (!r || r.source === null || r.source === undefined) return 'null';
  let s = r.source + ':' + r.line + ':' + r.column;
  if (r.name !== null && r.name !== undefined) s += ' ' + r.name;
  return s;
}

// For an index map: the positions around each section's start and around the first segment
// of its first line, where a lookup could wrongly answer from the neighbouring section.
function sectionBoundaryPositions(raw) {
  if (!Array.isArray(raw.sections)) return [];
  const out = [];
  for (const section of raw.sections) {
    const { line, column } = section.offset;
    const cols = generatedColumns(section.map);
    const first = cols.length > 0 && cols[0].length > 0 ? column + Math.min(...cols[0]) : column;
    for (let c = Math.max(0, column - 2); c <= column + 2; c++) out.push([line + 1, c]);
    for (let c = Math.max(0, first - 2); c <= first + 1; c++) out.push([line + 1, c]);
  }
  return out;
}

module.exports = {
  prng,
  seedOf,
  specJoin,
  joinedSources,
  generatedColumns,
  pickPositions,
  sectionBoundaryPositions,
  formatText,
};
