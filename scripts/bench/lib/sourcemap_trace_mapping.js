'use strict';
// Benchmark client: node + @jridgewell/trace-mapping. Same input and output as
// sourcemap_mozilla.js, with TraceMap + originalPositionFor (greatest lower bound).
// usage: node sourcemap_trace_mapping.js NODE_MODULES MAP POSITIONS
const fs = require('fs');
const path = require('path');
const [nodeModules, mapPath, posPath] = process.argv.slice(2);
const { TraceMap, originalPositionFor } = require(path.join(nodeModules, '@jridgewell/trace-mapping'));
const { readPositions, specSources, writeResults } = require('./sourcemap_common.js');

const rawText = fs.readFileSync(mapPath, 'utf8');
const positions = readPositions(posPath);
const map = new TraceMap(rawText);
const toSpec = new Map();
const spec = specSources(JSON.parse(rawText));
map.resolvedSources.forEach((s, i) => { if (!toSpec.has(s)) toSpec.set(s, spec[i]); });
const results = new Array(positions.length / 2);
for (let i = 0, k = 0; i < positions.length; i += 2, k++) {
  const r = originalPositionFor(map, { line: positions[i], column: positions[i + 1] });
  if (r.source !== null) r.source = toSpec.get(r.source);
  results[k] = r;
}
writeResults(results);
