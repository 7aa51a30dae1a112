// Compares `unravel symbolicate CORE --format json` with `eu-stack -i -s --core CORE` output.
//   node compare.js OURS.json EUSTACK.txt LABEL
// Prints one line per thread and a summary line:
//   RESULT label threads_eu=N threads_ours=N threads_missing=N crash_frames=N crash_agree=N
// A frame agrees when the base function name (no return type, namespaces, template or
// parameter lists, leading underscores of glibc's aliases) and the line are the same at the
// same depth, inlined frames expanded on both sides. Frames eu-stack could not name (no symbol) are compared by position only.
'use strict';
const fs = require('fs');
const [oursPath, euPath, label] = process.argv.slice(2);

function baseName(name) {
  if (!name) return '';
  let s = name.trim();
  // strip a trailing parameter list and qualifiers: find the '(' matching the last ')'
  for (;;) {
    const t = s.replace(/\s+(const|volatile|&|&&|noexcept)$/, '');
    if (t === s) break;
    s = t;
  }
  if (s.endsWith(')')) {
    let depth = 0;
    for (let i = s.length - 1; i >= 0; i--) {
      if (s[i] === ')') depth++;
      else if (s[i] === '(') {
        depth--;
        if (depth === 0) { s = s.slice(0, i); break; }
      }
    }
  }
  // drop template arguments at the end, then anything before the last top-level '::'
  const cut = (str, open, close) => {
    let out = '', depth = 0;
    for (const c of str) {
      if (c === open) depth++;
      else if (c === close) depth--;
      else if (depth === 0) out += c;
    }
    return out;
  };
  s = cut(s, '<', '>');
  const parts = s.split('::');
  s = parts[parts.length - 1];
  const words = s.trim().split(/\s+/);
  s = words[words.length - 1];
  // glibc exports one function under several aliases (`__clone3`/`clone3`); which alias a
  // tool prints for a symbol-only frame is arbitrary, so leading underscores are not compared
  return s.replace(/^\*+/, '').replace(/\.(constprop|isra|part|cold)\.?\d*.*$/, '').replace(/^_+/, '');
}

function parseEu(text) {
  const threads = new Map();
  let cur = null;
  let last = null;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^TID (\d+):/.exec(line))) {
      cur = [];
      threads.set(Number(m[1]), cur);
    } else if (cur && (m = /^#(\d+)\s+0x([0-9a-f]+)\s*(.*)$/.exec(line))) {
      last = { pc: BigInt('0x' + m[2]), fn: m[3].replace(/ - .*$/, '').trim(), line: 0 };
      cur.push(last);
    } else if (cur && last && (m = /^\s+(\S.*?):(\d+)(?::\d+)?$/.exec(line))) {
      last.file = m[1];
      last.line = Number(m[2]);
    }
  }
  return threads;
}

function flatten(frames) {
  const out = [];
  for (const f of frames) {
    for (const i of f.inlines || [])
      out.push({ fn: i.function || '', line: i.line || 0 });
    out.push({ fn: f.function || '', line: f.line || 0, trust: f.trust });
  }
  return out;
}

const ours = JSON.parse(fs.readFileSync(oursPath, 'utf8'));
const eu = parseEu(fs.readFileSync(euPath, 'utf8'));
const ourThreads = new Map();
for (const t of ours.threads || []) ourThreads.set(t.thread_id, flatten(t.frames || []));
const crashTid = ours.crashing_thread ? ours.crashing_thread.thread_id : null;

let missing = 0;
let crashFrames = 0, crashAgree = 0, allFrames = 0, allAgree = 0;
for (const [tid, euFrames] of eu) {
  const mine = ourThreads.get(tid);
  if (!mine) { missing++; console.log(`${label}: thread ${tid}: missing in unravel's output`); continue; }
  let agree = 0;
  const diffs = [];
  euFrames.forEach((e, i) => {
    const o = mine[i];
    const ok = o && baseName(o.fn) === baseName(e.fn) && (e.line === 0 || o.line === e.line);
    if (ok) agree++;
    else diffs.push(`#${i} eu-stack ${e.fn || '??'}:${e.line} unravel ${o ? (o.fn || '??') + ':' + o.line : '(none)'}`);
  });
  allFrames += euFrames.length;
  allAgree += agree;
  if (tid === crashTid) { crashFrames += euFrames.length; crashAgree += agree; }
  console.log(`${label}: thread ${tid}${tid === crashTid ? ' (crashed)' : ''}: ${agree}/${euFrames.length} frames agree` +
    (diffs.length ? '\n    ' + diffs.join('\n    ') : ''));
}
console.log(`RESULT ${label} threads_eu=${eu.size} threads_ours=${ourThreads.size} threads_missing=${missing} ` +
  `crash_frames=${crashFrames} crash_agree=${crashAgree} all_frames=${allFrames} all_agree=${allAgree} ` +
  `crash_tid=${crashTid}`);
