// Prints the uuid of every stored occurrence of the token's project, one a line, read through
// the read API (every page of items, every page of each item's occurrences).
//   UV_BASE (http://HOST:PORT), UV_TOKEN (read scope)
"use strict";
const env = process.env;

async function get(path) {
  const res = await fetch(env.UV_BASE + path, { headers: { "X-Rollbar-Access-Token": env.UV_TOKEN } });
  const text = await res.text();
  if (res.status !== 200) throw new Error("GET " + path + ": " + res.status + " " + text);
  return JSON.parse(text).result;
}

async function main() {
  const out = [];
  for (let page = 1; ; page++) {
    const items = (await get("/api/1/items?page=" + page)).items;
    for (const item of items) {
      let seen = 0;
      for (let p = 1; ; p++) {
        const inst = (await get("/api/1/item/" + item.id + "/occurrences?page=" + p)).instances;
        for (const o of inst) out.push(o.uuid);
        seen += inst.length;
        if (inst.length < 20) break; // 20 a page
      }
      if (seen !== item.total_occurrences) {
        throw new Error("item " + item.id + ": " + seen + " occurrences listed, total_occurrences " + item.total_occurrences);
      }
    }
    if (items.length < 100) break; // 100 a page
  }
  process.stdout.write(out.map((u) => u + "\n").join(""));
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
