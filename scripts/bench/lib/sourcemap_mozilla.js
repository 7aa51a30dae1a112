'use strict';
// Benchmark client: node + mozilla source-map 0.7. Parses MAP, looks up every LINE:COLUMN of
// POSITIONS with originalPositionFor (default bias) and prints the results in the text format
// of `unravel sourcemap lookup` (SOURCE:LINE:COLUMN [NAME] or null), the source written as
// the ECMA-426 sourceRoot join rather than mozilla's normalised URL.
// usage: node sourcemap_mozilla.js NODE_MODULES MAP POSITIONS
const fs = require('fs');
const path = require('path');
const [nodeModules, mapPath, posPath] = process.argv.slice(2);
const { SourceMapConsumer } = require(path.join(nodeModules, 'source-map'));
const { readPositions, specSources, writeResults } = require('./sourcemap_common.js');

(async () => {
  const raw = JSON.parse(fs.readFileSync(mapPath, 'utf8'));
  const positions = readPositions(posPath);
  const consumer = await new SourceMapConsumer(raw);
  const toSpec = new Map();
  const spec = specSources(raw);
  consumer.sources.forEach((s, i) => { if (!toSpec.has(s)) toSpec.set(s, spec[i]); });
  const results = new Array(positions.length / 2);
  for (let i = 0, k = 0; i < positions.length; i += 2, k++) {
    const r = consumer.originalPositionFor({ line: positions[i], column: positions[i + 1] });
    if (r.source !== null) r.source = toSpec.get(r.source);
    results[k] = r;
  }
  consumer.destroy();
  writeResults(results);
})();
