// Uncaught synchronous error: Node prints the source preamble, the stack and its version.
function parseConfig(text) {
  return JSON.parse(text).settings.theme;
}

function loadTheme() {
  const raw = '{"version": 2}';
  return parseConfig(raw);
}

loadTheme();
