// Compares two llvm-symbolizer style outputs ("FUNCTION\nFILE:LINE:COLUMN\n" per frame,
// innermost first, an empty line after each address) for the same list of addresses.
//
//   node compare.js NAME ADDRESSES OURS REFERENCE [--threshold 0.999] [--show 10]
//                   [--ours-label unravel] [--ref-label llvm]
//                   [--ours-raw OURS_NO_DEMANGLE --ref-raw REFERENCE_NO_DEMANGLE]
//
// An address agrees when both give the same number of frames (inline depth) and, frame by
// frame, the same function, file and line; columns are counted separately, and so are
// byte-identical answers. With --ours-raw/--ref-raw (both tools run again without demangling)
// a function is the same function when its raw (mangled) names are equal: two demanglers
// (libiberty's and LLVM 14's) spell some names differently, e.g. `auto:1` vs `auto`, and LLVM
// 14 leaves some names mangled; how often the demangled spellings also agree is reported
// apart. Prints one summary line, a breakdown of what differed and the
// first --show disagreements; exits 1 when agreement is below --threshold (or the outputs
// do not hold one answer per address), else 0.
"use strict";
const fs = require("fs");

const args = process.argv.slice(2);
const opts = { threshold: 0.999, show: 10, "ours-label": "unravel", "ref-label": "llvm" };
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith("--")) opts[args[i].slice(2)] = args[++i];
  else pos.push(args[i]);
}
if (pos.length !== 4) {
  process.stderr.write("usage: node compare.js NAME ADDRESSES OURS REFERENCE [options]\n");
  process.exit(2);
}
const [name, addrPath, oursPath, refPath] = pos;
const threshold = Number(opts.threshold);
const show = Number(opts.show);

// Splits an output into answers: each a list of frames {func, file, line, column, raw}.
function parse(path) {
  const text = fs.readFileSync(path, "utf8");
  const answers = [];
  let frames = [];
  let raw = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") {
      answers.push({ frames, raw: raw.join("\n") });
      frames = [];
      raw = [];
      continue;
    }
    const func = lines[i];
    const loc = i + 1 < lines.length ? lines[++i] : "";
    raw.push(func, loc);
    const m = /^(.*):(\d+):(\d+)$/.exec(loc) || /^(.*):(\d+)$/.exec(loc);
    frames.push(m ? { func, file: m[1], line: m[2], column: m[3] ?? "" }
                  : { func, file: loc, line: "", column: "" });
  }
  if (frames.length > 0) answers.push({ frames, raw: raw.join("\n"), unterminated: true });
  return answers;
}

const addresses = fs.readFileSync(addrPath, "utf8").split("\n").filter((l) => l !== "");
const ours = parse(oursPath);
const ref = parse(refPath);
const oursRaw = opts["ours-raw"] ? parse(opts["ours-raw"]) : null;
const refRaw = opts["ref-raw"] ? parse(opts["ref-raw"]) : null;
const n = addresses.length;
let spelled = 0;

let agree = 0, agreeColumn = 0, identical = 0, refUnknown = 0;
const kinds = { depth: 0, function: 0, file: 0, line: 0, missing: 0 };
const shown = [];
const cut = (s) => (s.length > 160 ? s.slice(0, 157) + "..." : s);
// where(a, b): for answers of equal depth, the first frame whose function, file or line
// differ, with both values shown from a little before their first differing character.
function where(a, b) {
  if (!a || !b || a.frames.length !== b.frames.length) return "";
  for (let k = 0; k < a.frames.length; k++) {
    for (const key of ["func", "file", "line"]) {
      const x = a.frames[k][key], y = b.frames[k][key];
      if (x === y) continue;
      let d = 0;
      while (d < x.length && d < y.length && x[d] === y[d]) d++;
      const from = Math.max(0, d - 30);
      const part = (v) => (from > 0 ? "..." : "") + cut(v.slice(from));
      return ` in frame ${k} (${key}): "${part(x)}" vs "${part(y)}"`;
    }
  }
  return "";
}
const fmt = (a) => a ? a.frames.map((f) => `${cut(f.func)} ${f.file}:${f.line}:${f.column}`).join(" <- ") : "(no answer)";
for (let i = 0; i < n; i++) {
  const a = ours[i], b = ref[i];
  if (b && b.frames.length === 1 && b.frames[0].func === "??" && b.frames[0].line === "0") refUnknown++;
  let why = null;
  if (!a || !b) why = "missing";
  else if (a.frames.length !== b.frames.length) why = "depth";
  else {
    for (let k = 0; k < a.frames.length && !why; k++) {
      const x = a.frames[k], y = b.frames[k];
      const xr = oursRaw && oursRaw[i] && oursRaw[i].frames[k];
      const yr = refRaw && refRaw[i] && refRaw[i].frames[k];
      const sameFunction = xr && yr ? xr.func === yr.func : x.func === y.func;
      if (!sameFunction) why = "function";
      else if (x.file !== y.file) why = "file";
      else if (x.line !== y.line) why = "line";
    }
  }
  if (why) {
    kinds[why]++;
    if (shown.length < show) shown.push(`  ${addresses[i]}: ${why}${where(a, b)}\n    ours: ${fmt(a)}\n    ${opts["ref-label"]}: ${fmt(b)}`);
    continue;
  }
  agree++;
  if (a.frames.every((f, k) => f.func === b.frames[k].func)) spelled++;
  if (a.frames.every((f, k) => f.column === b.frames[k].column)) agreeColumn++;
  if (a.raw === b.raw) identical++;
}

const pct = (k) => (n ? (100 * k / n).toFixed(2) : "0.00") + "%";
const ok = n > 0 && ours.length === n && ref.length === n && agree / n >= threshold;
console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${agree}/${n} (${pct(agree)}) agree on function/file/line/depth; ` +
  `with columns ${pct(agreeColumn)}; byte-identical ${pct(identical)}; ` +
  `${opts["ref-label"]} unknown for ${refUnknown}` +
  (oursRaw ? `; demangled spelling also identical ${pct(spelled)}` : ""));
if (ours.length !== n || ref.length !== n)
  console.log(`  answers: ${ours.length} from ${opts["ours-label"]}, ${ref.length} from ${opts["ref-label"]}, for ${n} addresses`);
if (agree < n) {
  console.log("  differing: " + Object.entries(kinds).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(", "));
  for (const s of shown) console.log(s);
}
process.exit(ok ? 0 : 1);
