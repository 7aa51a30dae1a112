'use strict';
// Builds an index map (ECMA-426 `sections`) and the generated file it describes by
// concatenating generated files with their maps.
//
// usage: node make_index_map.js OUT.map OUT.js MAP:JS[:same-line]...
// Each part starts on a new line after the previous one, or, with `same-line`, right after
// the previous part's last character on the same line (sections that abut within a line).
// A part's trailing `//# sourceMappingURL=` line is dropped; its map is embedded as is.

const fs = require('fs');

const [outMap, outJs, ...parts] = process.argv.slice(2);
if (!outMap || !outJs || parts.length < 2) {
  console.error('usage: node make_index_map.js OUT.map OUT.js MAP:JS[:same-line] MAP:JS...');
  process.exit(2);
}

let text = '';
const sections = [];
for (const [i, part] of parts.entries()) {
  const [mapPath, jsPath, mode] = part.split(':');
  const map = JSON.parse(fs.readFileSync(mapPath, 'utf8'));
  let js = fs.readFileSync(jsPath, 'utf8').replace(/\n?\/\/# sourceMappingURL=[^\n]*\n?$/, '');
  if (js.endsWith('\n')) js = js.slice(0, -1);
  if (i > 0 && mode !== 'same-line') text += '\n';
  const lines = text.split('\n');
  const offset = { line: lines.length - 1, column: lines[lines.length - 1].length };
  sections.push({ offset, map });
  text += js;
}
text += '\n';
fs.writeFileSync(outJs, text);
fs.writeFileSync(outMap, JSON.stringify({ version: 3, file: outJs.split('/').pop(), sections }));
