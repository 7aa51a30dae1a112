// Checks `unravel symbolicate` output for one scenario of the js-app against the ground truth,
// the stack V8 printed when it ran the original, unminified files.
//
// usage: node check.js --name NAME --src-dir DIR --bundle PATH --truth FILE --minified FILE
//                      --json FILE --text FILE --context-json FILE --context N
//   --src-dir       the directory of the original files (their frames are the app frames)
//   --bundle        absolute path of the minified file the minified stack names
//   --truth         stderr of the original run       --minified     stderr of the minified run
//   --json          `symbolicate --format json`      --text         `symbolicate` (text)
//   --context-json  `symbolicate --format json --context N`
//
// A frame is compared as (source basename, line, function name). V8 names functions
// `Cart.priceOf`, `new Config`, `get total [as total]`, `Function.fromText`; what we compare is
// the last dotted component without `new `/`get `/`set `/`async `/`static ` or ` [as …]`, and
// every anonymous spelling (none, `<anonymous>`, `Object.<anonymous>`) as the empty name;
// `Class.constructor` counts as `Class`.
// The symbolicated app frames must be a subsequence of the ground truth's app frames (the
// minifier may inline a function and so drop its frame), all with status "symbolicated", and
// the throwing frame must equal the ground truth's first frame including the column.
// Exit 0 when everything holds; else prints every problem and a side-by-side table, exit 1.
"use strict";
const fs = require("fs");
const path = require("path");

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new Error(`check.js: bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ["name", "src-dir", "bundle", "truth", "minified", "json", "text", "context-json", "context"]) {
    if (!(key in args)) throw new Error(`check.js: missing --${key}`);
  }
  return args;
}

// One V8 frame line: "    at FN (FILE:LINE:COL)", "    at FILE:LINE:COL", "    at FN (native|<anonymous>)".
const FRAME_RE = /^\s+at (?:(.*?) \((.*?)(?::(\d+):(\d+))?\)|(.*?):(\d+):(\d+))$/;

function parseFrame(line) {
  const m = FRAME_RE.exec(line);
  if (!m) return null;
  if (m[2] !== undefined) {
    return { fn: m[1], file: m[2], line: m[3] ? Number(m[3]) : null, column: m[4] ? Number(m[4]) : null };
  }
  return { fn: "", file: m[5], line: Number(m[6]), column: Number(m[7]) };
}

// Frames of a V8 stack as printed by node, plus the "Class: message" line just above them.
function parseStack(text, what) {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => FRAME_RE.test(l));
  if (first < 1) throw new Error(`${what}: no V8 stack frames in:\n${text}`);
  const header = /^([A-Za-z_$][\w$]*): (.*)$/.exec(lines[first - 1]);
  if (!header) throw new Error(`${what}: no "Class: message" line above the frames`);
  const frames = [];
  for (let i = first; i < lines.length && FRAME_RE.test(lines[i]); i++) frames.push(parseFrame(lines[i]));
  return { cls: header[1], message: header[2], frames, lines };
}

function normName(name) {
  if (name === null || name === undefined) return "";
  let n = String(name).trim().replace(/ \[as [^\]]*\]$/, "");
  for (;;) {
    const m = /^(?:new|get|set|async|static) +(.*)$/.exec(n);
    if (!m) break;
    n = m[1];
  }
  if (n === "" || n.includes("<anonymous>") || n === "anonymous") return "";
  const parts = n.split(".");
  // "Config.constructor" names the class as well as V8's "new Config" does; a bare
  // "constructor" does not.
  if (parts.length >= 2 && parts[parts.length - 1] === "constructor") return parts[parts.length - 2];
  return parts[parts.length - 1];
}

const show = (f) => `${f.file}:${f.line}:${f.column} ${f.fn === "" ? "<anonymous>" : f.fn}`;

function main() {
  const args = parseArgs(process.argv.slice(2));
  const problems = [];
  const fail = (msg) => problems.push(msg);
  const srcDir = path.resolve(args["src-dir"]) + path.sep;
  const read = (key) => fs.readFileSync(args[key], "utf8");

  // Ground truth: the app frames of the original run.
  const truth = parseStack(read("truth"), "ground truth");
  const truthApp = truth.frames
    .filter((f) => f.file.startsWith(srcDir))
    .map((f) => ({ file: path.basename(f.file), line: f.line, column: f.column, fn: normName(f.fn), raw: f.fn }));
  if (truthApp.length < 3) throw new Error(`ground truth: only ${truthApp.length} app frames under ${srcDir}`);
  if (!truth.frames[0].file.startsWith(srcDir)) throw new Error("ground truth: the error was not thrown in the app");

  // The minified stack: what unravel was given.
  const minified = parseStack(read("minified"), "minified stack");
  const minApp = minified.frames.filter((f) => f.file === args.bundle);
  if (minApp.length < 3) throw new Error(`minified stack: only ${minApp.length} frames in ${args.bundle}`);
  if (minified.frames[0].file !== args.bundle) throw new Error("minified stack: the error was not thrown in the bundle");

  // JSON output.
  let doc;
  try {
    doc = JSON.parse(read("json"));
  } catch (e) {
    throw new Error(`symbolicate --format json: not JSON (${e.message}):\n${read("json")}`);
  }
  if (doc.kind !== "text") fail(`json: kind is ${JSON.stringify(doc.kind)}, expected "text"`);
  // The input is plain text and names no version: "version" may echo the input's (null) or
  // be the one given with --version.
  if (doc.version !== null && doc.version !== "1.0.0") fail(`json: version is ${JSON.stringify(doc.version)}, expected null or "1.0.0"`);
  const exc = Array.isArray(doc.exceptions) && doc.exceptions.length === 1 ? doc.exceptions[0] : null;
  if (!exc) throw new Error(`json: expected exactly one exception, got ${JSON.stringify(doc.exceptions)}`);
  if (exc.class !== truth.cls) fail(`json: class ${JSON.stringify(exc.class)}, expected ${JSON.stringify(truth.cls)}`);
  if (exc.message !== truth.message) fail(`json: message ${JSON.stringify(exc.message)}, expected ${JSON.stringify(truth.message)}`);
  const frames = Array.isArray(exc.frames) ? exc.frames : [];
  if (frames.length !== minified.frames.length) {
    fail(`json: ${frames.length} frames, the input has ${minified.frames.length}`);
  }

  // Every app frame of the input, in order, resolved.
  const jsonApp = frames.filter((f) => f.url === args.bundle);
  if (jsonApp.length !== minApp.length) fail(`json: ${jsonApp.length} frames with url ${args.bundle}, the input has ${minApp.length}`);
  const rows = [];
  let next = 0; // the next ground-truth app frame a resolved frame may match
  let matchedAll = true;
  for (let i = 0; i < minApp.length; i++) {
    const input = minApp[i];
    const f = jsonApp[i];
    const row = { input, got: null, match: -1, note: "" };
    rows.push(row);
    if (!f) { row.note = "missing from the json"; matchedAll = false; continue; }
    if (f.line !== input.line || f.column !== input.column) {
      row.note += `json frame position ${f.line}:${f.column} is not the input's; `;
    }
    const r = f.resolved;
    if (!r || r.status !== "symbolicated") {
      row.note += `status ${r ? JSON.stringify(r.status) : "(no resolved)"}`;
      matchedAll = false;
      continue;
    }
    row.got = { file: path.basename(String(r.source)), line: r.line, column: r.column, fn: normName(r.function), raw: r.function };
    let j = next;
    while (j < truthApp.length && !(truthApp[j].file === row.got.file && truthApp[j].line === row.got.line && truthApp[j].fn === row.got.fn)) j++;
    if (j === truthApp.length) {
      row.note += "not in the ground truth (after the previous match)";
      matchedAll = false;
      // Say which part is wrong when the position is right but the name is not.
      const samePos = truthApp.find((t, k) => k >= next && t.file === row.got.file && t.line === row.got.line);
      if (samePos) row.note += `; ground truth at ${samePos.file}:${samePos.line} is ${JSON.stringify(samePos.raw)} → "${samePos.fn}", we said ${JSON.stringify(r.function)} → "${row.got.fn}"`;
    } else {
      row.match = j;
      next = j + 1;
    }
  }
  if (!matchedAll) fail("json: the symbolicated app frames are not a subsequence of the ground truth's app frames");
  const top = rows[0] && rows[0].got;
  const want = truthApp[0];
  if (!top || top.file !== want.file || top.line !== want.line || top.column !== want.column || top.fn !== want.fn) {
    fail(`json: throwing frame resolved to ${top ? show(top) : "(nothing)"}, ground truth ${show(want)}`);
  }

  // Frames outside the app are left alone: node internals have no source map.
  frames.forEach((f, i) => {
    if (f.url === args.bundle) return;
    const status = f.resolved ? f.resolved.status : null;
    if (status === "symbolicated") fail(`json: frame ${i} (${f.url}) outside the bundle was symbolicated`);
    if (typeof f.url === "string" && f.url.startsWith("node:") && f.resolved && status !== "missing_sourcemap") {
      fail(`json: frame ${i} (${f.url}) has status ${JSON.stringify(status)}, expected "missing_sourcemap"`);
    }
  });

  // Text output: the input with each app frame line rewritten, everything else unchanged.
  const textLines = read("text").replace(/\n$/, "").split("\n");
  const inputLines = minified.lines.slice(0, minified.lines[minified.lines.length - 1] === "" ? -1 : undefined);
  if (textLines.length !== inputLines.length) {
    fail(`text: ${textLines.length} lines, the input has ${inputLines.length}`);
  } else {
    let appIndex = 0;
    for (let i = 0; i < inputLines.length; i++) {
      const frame = parseFrame(inputLines[i]);
      if (frame && frame.file === args.bundle) {
        const out = parseFrame(textLines[i]);
        const got = rows[appIndex++].got;
        if (!out) { fail(`text line ${i + 1}: not a V8 frame: ${JSON.stringify(textLines[i])}`); continue; }
        if (got && (path.basename(out.file) !== got.file || out.line !== got.line || out.column !== got.column || normName(out.fn) !== got.fn)) {
          fail(`text line ${i + 1}: ${JSON.stringify(textLines[i])} disagrees with the json (${show(got)})`);
        }
      } else if (textLines[i] !== inputLines[i]) {
        fail(`text line ${i + 1}: changed a line that is not an app frame:\n    in:  ${JSON.stringify(inputLines[i])}\n    out: ${JSON.stringify(textLines[i])}`);
      }
    }
    const firstFrame = inputLines.findIndex((l) => FRAME_RE.test(l));
    const out = firstFrame >= 0 ? parseFrame(textLines[firstFrame]) : null;
    if (!out || normName(out.fn) !== want.fn || path.basename(out.file) !== want.file || out.line !== want.line) {
      fail(`text: top frame is ${JSON.stringify(textLines[firstFrame])}, expected function "${want.fn}" at ${want.file}:${want.line}`);
    }
  }

  // --context N: the source lines around the throwing frame, from the original file.
  const n = Number(args.context);
  let ctxDoc;
  try {
    ctxDoc = JSON.parse(read("context-json"));
  } catch (e) {
    throw new Error(`symbolicate --context: not JSON (${e.message})`);
  }
  const ctxFrame = ctxDoc.exceptions && ctxDoc.exceptions[0] && ctxDoc.exceptions[0].frames && ctxDoc.exceptions[0].frames[0];
  const ctx = ctxFrame && ctxFrame.resolved && ctxFrame.resolved.context;
  const srcLines = fs.readFileSync(path.join(srcDir, want.file), "utf8").split("\n");
  const expected = {
    pre_context: srcLines.slice(Math.max(0, want.line - 1 - n), want.line - 1),
    context_line: srcLines[want.line - 1],
    post_context: srcLines.slice(want.line, want.line + n),
  };
  if (!ctx) {
    fail(`context: the throwing frame has no resolved.context with --context ${n}`);
  } else {
    for (const key of ["pre_context", "context_line", "post_context"]) {
      if (JSON.stringify(ctx[key]) !== JSON.stringify(expected[key])) {
        fail(`context: ${key} is ${JSON.stringify(ctx[key])}\n    expected ${JSON.stringify(expected[key])}`);
      }
    }
  }
  if (frames.some((f) => f.resolved && f.resolved.context)) fail("json: context present without --context");

  const table = () => {
    const out = ["  minified frame                          → unravel (source:line:col function)             ground truth match"];
    for (const row of rows) {
      const left = `${row.input.line}:${row.input.column} ${row.input.fn || "<anonymous>"}`.padEnd(40);
      const mid = (row.got ? `${row.got.file}:${row.got.line}:${row.got.column} ${JSON.stringify(row.got.raw)}` : "-").padEnd(48);
      const right = row.match >= 0 ? `#${row.match} ${show(truthApp[row.match])}` : `NO  ${row.note}`;
      out.push(`  ${left} → ${mid} ${right}`);
    }
    out.push("  ground truth app frames:");
    truthApp.forEach((t, k) => out.push(`    #${k} ${t.file}:${t.line}:${t.column} ${JSON.stringify(t.raw)} → "${t.fn}"`));
    return out.join("\n");
  };
  if (problems.length > 0) {
    console.log(`FAIL ${args.name}:`);
    for (const p of problems) console.log(`  - ${p}`);
    console.log(table());
    process.exit(1);
  }
  console.log(`ok   ${args.name}: ${rows.length} app frames symbolicated (${truthApp.length} in the ground truth), throw at ${show(want)}`);
  if (process.env.VERBOSE) console.log(table());
}

try {
  main();
} catch (e) {
  console.log(`FAIL ${process.argv[process.argv.indexOf("--name") + 1]}: ${e.message}`);
  process.exit(1);
}
