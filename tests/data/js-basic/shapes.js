// Fixture for tests/cli/js_symbolicate.sh: a few functions whose names the minifier mangles.
function computeArea(shape) {
  if (shape.kind === "circle") {
    return Math.PI * shape.radius * shape.radius;
  }
  return shape.width * shape.height.value;
}

function totalArea(shapes) {
  let total = 0;
  for (const s of shapes) {
    total += computeArea(s);
  }
  return total;
}

function main() {
  const shapes = [{ kind: "circle", radius: 2 }, { kind: "rect", width: 3 }];
  console.log(totalArea(shapes));
}

main();
