'use strict';
// Oracle: compares `unravel sourcemap lookup` with mozilla source-map 0.7's
// SourceMapConsumer.originalPositionFor (default bias) on many generated positions.
//
// usage: node compare.js UNRAVEL NODE_MODULES MAP:JS:COUNT...
// For each map it picks COUNT deterministic positions in JS, asks mozilla, runs unravel once
// in JSON mode and once in text mode (positions on stdin), and compares every answer:
// source (by index among the map's sources: mozilla's returned source in consumer.sources,
// ours in the ECMA-426 sourceRoot-joined `sources`, which also checks our string is the spec
// join), line, column and name. Exits 1 on any disagreement, printing the first 20.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const lib = require('./lib.js');

const SEED = 20250601;
const MAX_SHOWN = 20;

function indexMapOf(list) {
  const m = new Map();
  list.forEach((s, i) => {
    if (!m.has(s)) m.set(s, []);
    m.get(s).push(i);
  });
  return m;
}

// Runs `unravel sourcemap lookup MAP --format FORMAT [ARGS...]` with `input` on stdin and
// returns its output lines.
function runUnravel(unravel, mapPath, input, format, args = []) {
  const r = spawnSync(unravel, ['sourcemap', 'lookup', mapPath, '--format', format, ...args], {
    input,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`cannot run ${unravel}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `unravel sourcemap lookup ${path.basename(mapPath)} --format ${format} exited ` +
        `${r.status === null ? 'on signal ' + r.signal : r.status}: ${r.stderr.trim()}`
    );
  }
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// Validates and decodes one line of our JSON output.
function parseOurs(line) {
  if (line === 'null') return null;
  let v;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { invalid: `not JSON: ${line}` };
  }
  if (v === null) return null;
  const ok =
    typeof v === 'object' &&
    typeof v.source === 'string' &&
    Number.isInteger(v.line) &&
    Number.isInteger(v.column) &&
    (v.name === null || typeof v.name === 'string') &&
    Object.keys(v).length === 4;
  if (!ok) return { invalid: `unexpected JSON shape: ${line}` };
  return v;
}

// For index maps: is the position on the first line of a section (after its column offset)
// and before that section's first segment on that line? There mozilla answers from that
// section only (null), while a flat greatest-lower-bound answers from the section before.
function sectionBoundaryCheck(raw) {
  if (!Array.isArray(raw.sections)) return () => false;
  const starts = raw.sections.map((s) => {
    const cols = lib.generatedColumns(s.map);
    const first = cols.length > 0 && cols[0].length > 0 ? Math.min(...cols[0]) : Infinity;
    return { line: s.offset.line, column: s.offset.column, first: s.offset.column + first };
  });
  return (line, column) =>
    starts.some((s) => s.line === line - 1 && column >= s.column && column < s.first);
}

async function compareMap(SourceMapConsumer, unravel, spec) {
  const [mapPath, jsPath, countText] = spec.split(':');
  const name = path.basename(mapPath);
  const rawText = fs.readFileSync(mapPath, 'utf8');
  const raw = JSON.parse(rawText);
  const js = fs.readFileSync(jsPath, 'utf8');
  const count = Number(countText);
  const rand = lib.prng(SEED ^ lib.seedOf(name));
  const positions = lib.pickPositions(raw, js, count, rand).concat(lib.sectionBoundaryPositions(raw));
  const posPath = mapPath + '.positions';
  fs.writeFileSync(posPath, positions.map(([l, c]) => `${l}:${c}\n`).join(''));

  const consumer = await new SourceMapConsumer(raw);
  const mozSources = indexMapOf(consumer.sources);
  const joined = lib.joinedSources(raw);
  const ourSources = indexMapOf(joined);
  const expected = positions.map(([line, column]) =>
    consumer.originalPositionFor({ line, column })
  );
  consumer.destroy();

  const posBytes = fs.readFileSync(posPath);
  const jsonLines = runUnravel(unravel, mapPath, posBytes, 'json');
  const textLines = runUnravel(unravel, mapPath, posBytes, 'text');
  const problems = [];
  // Positions given on the command line must answer exactly like the same ones on stdin.
  const argPositions = positions.slice(0, 64).map(([l, c]) => `${l}:${c}`);
  const argLines = runUnravel(unravel, mapPath, '', 'json', argPositions);
  argLines.forEach((line, i) => {
    if (line !== jsonLines[i]) {
      problems.push({
        map: name,
        where: `${name} ${argPositions[i]}`,
        what: 'answer for a position on the command line differs from the one read on stdin',
        ours: line,
        moz: `(stdin) ${jsonLines[i]}`,
      });
    }
  });
  if (argLines.length !== argPositions.length) {
    problems.push({
      map: name,
      what: `${argLines.length} answers for ${argPositions.length} command-line positions`,
    });
  }
  if (jsonLines.length !== positions.length) {
    problems.push({
      map: name,
      what: `JSON output has ${jsonLines.length} lines for ${positions.length} positions`,
    });
  }
  if (textLines.length !== positions.length) {
    problems.push({
      map: name,
      what: `text output has ${textLines.length} lines for ${positions.length} positions`,
    });
  }
  const atBoundary = sectionBoundaryCheck(raw);
  let boundary = 0;
  const n = Math.min(positions.length, jsonLines.length);
  for (let i = 0; i < n; i++) {
    const [line, column] = positions[i];
    const where = `${name} ${line}:${column}`;
    const moz = expected[i];
    const mozText = lib.formatText(moz);
    const ours = parseOurs(jsonLines[i]);
    if (ours && ours.invalid) {
      problems.push({ map: name, where, what: ours.invalid, ours: jsonLines[i], moz: mozText });
      continue;
    }
    const oursText = lib.formatText(ours);
    let why = null;
    if (moz.source === null || ours === null) {
      if (!(moz.source === null && ours === null)) why = 'null vs non-null';
    } else {
      const ourIdx = ourSources.get(ours.source);
      const mozIdx = mozSources.get(moz.source) || [];
      if (!ourIdx) why = `source is not a sourceRoot-joined entry of sources`;
      else if (!ourIdx.some((k) => mozIdx.includes(k))) why = 'source index';
      else if (ours.line !== moz.line) why = 'line';
      else if (ours.column !== moz.column) why = 'column';
      else if ((ours.name ?? null) !== (moz.name ?? null)) why = 'name';
    }
    if (why) {
      const b = atBoundary(line, column);
      if (b) boundary++;
      problems.push({
        map: name,
        where,
        what: why + (b ? ' (section boundary)' : ''),
        ours: oursText,
        moz: mozText,
      });
    }
    if (i < textLines.length && textLines[i] !== oursText) {
      problems.push({
        map: name,
        where,
        what: 'text output differs from JSON output',
        ours: textLines[i],
        moz: `(JSON says) ${oursText}`,
      });
    }
  }
  return { name, count: positions.length, problems, boundary };
}

async function main() {
  const [unravel, nodeModules, ...specs] = process.argv.slice(2);
  if (!unravel || !nodeModules || specs.length === 0) {
    console.error('usage: node compare.js UNRAVEL NODE_MODULES MAP:JS:COUNT...');
    process.exit(2);
  }
  const { SourceMapConsumer } = require(path.join(nodeModules, 'source-map'));
  let total = 0;
  let boundary = 0;
  const problems = [];
  for (const spec of specs) {
    const r = await compareMap(SourceMapConsumer, unravel, spec);
    total += r.count;
    boundary += r.boundary;
    problems.push(...r.problems);
    console.log(`  ${r.name}: ${r.count} positions, ${r.problems.length} disagreements`);
  }
  for (const p of problems.slice(0, MAX_SHOWN)) {
    if (p.where) console.log(`DISAGREE ${p.where}: ${p.what}\n    ours:    ${p.ours}\n    mozilla: ${p.moz}`);
    else console.log(`DISAGREE ${p.map}: ${p.what}`);
  }
  if (problems.length > MAX_SHOWN) console.log(`... and ${problems.length - MAX_SHOWN} more`);
  if (boundary > 0) {
    console.log(
      `note: ${boundary} of the disagreements are on the first line of an index-map section, ` +
        `before that section's first segment (mozilla looks only inside the section there)`
    );
  }
  console.log(`oracle: ${total} positions on ${specs.length} maps, ${problems.length} disagreements`);
  process.exit(problems.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`oracle: ${e.message}`);
  process.exit(1);
});
