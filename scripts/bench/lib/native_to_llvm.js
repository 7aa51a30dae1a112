// Rewrites the output of `addr2line -a -f -i -C` (GNU binutils) or `eu-addr2line -a -f -i -C`
// (elfutils) into llvm-symbolizer's layout ("FUNCTION\nFILE:LINE:COLUMN\n" per frame, then an
// empty line per address) so that tests/oracle/native/compare.js can compare it:
//   - each "0x..." address line (-a) starts a new answer;
//   - GNU's " (discriminator N)" suffix and eu-addr2line's " inlined at FILE:L:C in CALLER"
//     suffix on the innermost function are dropped;
//   - a location without a column gets ":0"; "??:?" becomes "??:0".
//
//   node native_to_llvm.js < tool-output > llvm-style-output
"use strict";
const fs = require("fs");

const lines = fs.readFileSync(0, "utf8").split("\n");
if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
const out = [];
let open = false;
for (let i = 0; i < lines.length; i++) {
  if (/^0x[0-9a-fA-F]+$/.test(lines[i])) {
    if (open) out.push("");
    open = true;
    continue;
  }
  const func = lines[i].replace(/ inlined at .* in .*$/, "");
  let loc = (i + 1 < lines.length ? lines[++i] : "??:0").replace(/ \(discriminator \d+\)$/, "");
  if (loc === "??:?") loc = "??:0";
  if (/:\d+$/.test(loc) && !/:\d+:\d+$/.test(loc)) loc += ":0";
  else if (!/:\d+$/.test(loc)) loc = loc.replace(/:\?$/, "") + ":0:0";
  out.push(func, loc);
}
if (open) out.push("");
process.stdout.write(out.length ? out.join("\n") + "\n" : "");
