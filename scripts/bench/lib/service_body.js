// Writes the body of the service benchmark's requests: a Rollbar item whose trace has N frames
// at mapped positions of a minified file, cut in two around its uuid (PREFIX uuid SUFFIX).
//   node service_body.js MAP URL FRAMES PREFIX_OUT SUFFIX_OUT
// The frames are spread evenly over the mapped segments that have a name (deterministic), so
// every frame resolves through the stored map.
"use strict";
const fs = require("fs");
const { SourceMapConsumer } = require("source-map");

async function main() {
  const [mapPath, url, count, prefixOut, suffixOut] = process.argv.slice(2);
  const n = Number(count);
  const raw = JSON.parse(fs.readFileSync(mapPath, "utf8"));
  const consumer = await new SourceMapConsumer(raw);
  const segments = [];
  consumer.eachMapping((m) => {
    if (m.source && m.name) segments.push([m.generatedLine, m.generatedColumn]);
  });
  consumer.destroy();
  if (segments.length < n) throw new Error(mapPath + ": only " + segments.length + " named segments");
  const frames = [];
  for (let i = 0; i < n; i++) {
    const [line, column] = segments[Math.floor(((i + 0.5) * segments.length) / n)];
    // Rollbar frames are oldest first; columns as browsers report them (1-based).
    frames.push({ filename: url, lineno: line, colno: column + 1, method: "f" + i });
  }
  const item = {
    data: {
      environment: "bench",
      platform: "browser",
      level: "error",
      code_version: "1.0.0",
      uuid: "@UUID@",
      body: {
        trace: {
          exception: { class: "TypeError", message: "Cannot read properties of undefined (reading 'x')" },
          frames,
        },
      },
      request: { url: "https://bench.example/cart", user_ip: "203.0.113.7" },
      custom: { cart: 3 },
    },
  };
  const [prefix, suffix] = JSON.stringify(item).split("@UUID@");
  fs.writeFileSync(prefixOut, prefix);
  fs.writeFileSync(suffixOut, suffix);
}

main().catch((e) => {
  console.error("service_body: " + (e.message || e));
  process.exit(1);
});
