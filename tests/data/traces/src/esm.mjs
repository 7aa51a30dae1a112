// An ES module: frames carry file:// URLs.
export function divide(a, b) {
  if (b === 0) throw new Error('division by zero');
  return a / b;
}

try {
  divide(1, 0);
} catch (err) {
  console.error(err.stack);
}
