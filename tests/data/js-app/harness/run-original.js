// Runs the unminified app the way the bundle runs it: the files of files.txt as scripts in
// one global scope, in order, each under its own absolute path so that V8's stack traces
// name the original file, line and column (the ground truth of the end-to-end test).
// Usage: node run-original.js [SCENARIO] [--uncaught]
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const root = path.resolve(__dirname, "..");
const files = fs.readFileSync(path.join(root, "files.txt"), "utf8").split("\n").filter(Boolean);
for (const rel of files) {
  const file = path.join(root, rel);
  vm.runInThisContext(fs.readFileSync(file, "utf8"), { filename: file });
}
