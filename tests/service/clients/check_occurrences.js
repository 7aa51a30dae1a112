// Reads back what the real clients reported, through the read API, and checks the resolved
// frames of the minified app against the original source.
//   UV_BASE (http://HOST:PORT), UV_TOKEN (read scope), UV_SRC (app.js), UV_MAP (app.min.js.map),
//   UV_RUNS (comma-separated run names expected: rollbar, raygun, raygun-columns)
// Prints one line a checked frame; throws (exit 1) on the first mismatch.
"use strict";
const fs = require("fs");
const { SourceMapConsumer } = require("source-map");
const env = process.env;

async function get(path) {
  const res = await fetch(env.UV_BASE + path, { headers: { "X-Rollbar-Access-Token": env.UV_TOKEN } });
  const text = await res.text();
  if (res.status !== 200) throw new Error("GET " + path + ": " + res.status + " " + text);
  return JSON.parse(text);
}

// Keys of Raygun payloads are PascalCase in the docs and camelCase from raygun4node.
function field(obj, name) {
  if (!obj || typeof obj !== "object") return undefined;
  if (name in obj) return obj[name];
  const lower = name[0].toLowerCase() + name.slice(1);
  return obj[lower];
}

function lineOf(source, text) {
  const i = source.split("\n").findIndex((l) => l.includes(text));
  if (i < 0) throw new Error("app.js has no line with " + text);
  return i + 1;
}

async function main() {
  const source = fs.readFileSync(env.UV_SRC, "utf8");
  const parse = ["parsePrice", lineOf(source, "parts[1].length")];
  const total = ["cartTotal", lineOf(source, "total += parsePrice(item)")];
  const want = {
    rollbar: [parse, total, ["checkout", lineOf(source, "const total = cartTotal(cart)")]],
    "raygun-columns": [parse, total, ["quote", lineOf(source, 'return "total: " + cartTotal(cart)')]],
  };
  // Without a column a frame can only be placed at its line's first mapping (per source-map).
  const consumer = await new SourceMapConsumer(JSON.parse(fs.readFileSync(env.UV_MAP, "utf8")));
  const first = consumer.originalPositionFor({ line: 1, column: 0, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
  consumer.destroy();

  const runs = {};
  for (let page = 1; ; page++) {
    const items = (await get("/api/1/items?page=" + page)).result.items;
    for (const item of items) {
      if (!item.title.includes("TypeError")) throw new Error("item title: " + item.title);
      const inst = (await get("/api/1/item/" + item.id + "/occurrences")).result.instances;
      if (inst.length !== item.total_occurrences) throw new Error("item " + item.id + ": count mismatch");
      for (const o of inst) {
        const occ = (await get("/api/1/occurrence/" + o.id)).result;
        if (occ.version !== "1.0.0") throw new Error("occurrence " + o.id + " version " + occ.version);
        const r = occ.resolved;
        let frames, run;
        if (r.data) {
          run = r.data.custom.run;
          if (occ.environment !== "test") throw new Error("rollbar environment " + occ.environment);
          const body = r.data.body;
          const trace = body.trace || body.trace_chain[0];
          frames = trace.frames.slice().reverse(); // Rollbar: oldest first
        } else {
          const details = field(r, "Details");
          run = field(details, "UserCustomData").run;
          frames = field(field(details, "Error"), "StackTrace"); // Raygun: newest first
        }
        if (runs[run]) throw new Error("run " + run + " stored twice");
        runs[run] = true;
        for (let i = 0; i < 3; i++) {
          const res = frames[i].resolved || {};
          const file = String(res.source || "");
          let ok = res.status === "symbolicated" && (file === "app.js" || file.endsWith("/app.js"));
          let expect;
          if (want[run]) {
            const [fn, line] = want[run][i];
            expect = fn + " app.js:" + line;
            ok = ok && res.function === fn && res.line === line && res.approximate === false;
          } else {
            expect = "app.js:" + first.line + " approximate";
            ok = ok && res.line === first.line && res.approximate === true;
          }
          if (!ok) throw new Error(run + " frame " + i + ": want " + expect + ", got " + JSON.stringify(frames[i]));
          console.log(run + " frame " + i + ": " + res.function + " " + file + ":" + res.line +
            (res.column !== undefined ? ":" + res.column : "") + (res.approximate ? " (approximate)" : ""));
        }
      }
    }
    if (items.length < 100) break; // 100 a page
  }
  for (const run of env.UV_RUNS.split(",")) if (!runs[run]) throw new Error("no occurrence of run " + run);
  if (Object.keys(runs).length !== env.UV_RUNS.split(",").length) throw new Error("runs: " + Object.keys(runs));
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
