'use strict';
// Writes COUNT deterministic LINE:COLUMN positions for the benchmark (same picker as the
// oracle test: mostly inside mapped lines, some at segment starts, past line ends, unmapped).
// usage: node sourcemap_positions.js MAP JS COUNT OUT
const fs = require('fs');
const path = require('path');
const lib = require(path.join(__dirname, '../../../tests/oracle/sourcemap/lib.js'));
const [mapPath, jsPath, count, outPath] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(mapPath, 'utf8'));
const js = fs.readFileSync(jsPath, 'utf8');
const positions = lib.pickPositions(raw, js, Number(count), lib.prng(20250601));
fs.writeFileSync(outPath, positions.map(([l, c]) => `${l}:${c}\n`).join(''));
