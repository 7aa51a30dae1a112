// Code run through eval and new Function: V8 prints nested `eval at` locations.
function runSnippet(code) {
  return eval(code);
}

try {
  runSnippet('(function inner() {\n  null.field;\n})()');
} catch (err) {
  console.error(err.stack);
}

try {
  const fn = new Function('a', 'return a.b.c;');
  fn({});
} catch (err) {
  console.error(err.stack);
}
