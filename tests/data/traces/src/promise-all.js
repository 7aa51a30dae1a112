// Promise.all over async work: V8 prints `at async Promise.all (index N)`.
async function check(n) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  if (n === 2) throw new Error(`item ${n} failed`);
  return n;
}

async function main() {
  await Promise.all([1, 2, 3].map(check));
}

main().catch((err) => {
  console.error(err.stack);
});
