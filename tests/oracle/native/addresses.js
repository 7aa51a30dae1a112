// Deterministic addresses inside an ELF file's .text, mostly inside functions.
//
//   node addresses.js SEED COUNT TEXT_START TEXT_END NM_OUTPUT > addresses
//
// TEXT_START/TEXT_END: hex bounds of .text ([start, end)); NM_OUTPUT: a file holding
// `nm -S --defined-only` of the file with the symbol table (may be empty). Picks, with a
// seeded PRNG (mulberry32): 70% a random function symbol (uniformly among functions) and a
// random byte inside it, 10% a function's first or last byte, 20% uniformly in .text.
// Prints one "0x..." per line.
"use strict";
const fs = require("fs");

const [seedArg, countArg, startArg, endArg, nmPath] = process.argv.slice(2);
if (nmPath === undefined) {
  process.stderr.write("usage: node addresses.js SEED COUNT TEXT_START TEXT_END NM_OUTPUT\n");
  process.exit(2);
}
const count = Number(countArg);
const textStart = BigInt("0x" + startArg.replace(/^0x/, ""));
const textEnd = BigInt("0x" + endArg.replace(/^0x/, ""));
if (!(textEnd > textStart) || !(count > 0)) {
  process.stderr.write(`addresses.js: empty .text [${startArg}, ${endArg}) or count ${countArg}\n`);
  process.exit(1);
}

let state = Number(seedArg) >>> 0;
function random() { // mulberry32: uniform in [0, 1)
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function below(n) { // uniform BigInt in [0, n) for n < 2^53
  return BigInt(Math.floor(random() * Number(n)));
}

const functions = [];
for (const line of fs.readFileSync(nmPath, "utf8").split("\n")) {
  const f = line.trim().split(/\s+/);
  if (f.length < 4 || !/^[tTwWi]$/.test(f[2])) continue;
  const start = BigInt("0x" + f[0]);
  const size = BigInt("0x" + f[1]);
  if (size === 0n || start < textStart || start + size > textEnd) continue;
  functions.push([start, size]);
}
functions.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const out = [];
for (let i = 0; i < count; i++) {
  const r = random();
  let address;
  if (functions.length > 0 && r < 0.7) {
    const [start, size] = functions[Math.floor(random() * functions.length)];
    address = start + below(size);
  } else if (functions.length > 0 && r < 0.8) {
    const [start, size] = functions[Math.floor(random() * functions.length)];
    address = random() < 0.5 ? start : start + size - 1n;
  } else {
    address = textStart + below(textEnd - textStart);
  }
  out.push("0x" + address.toString(16));
}
process.stdout.write(out.join("\n") + "\n");
