// A rejected promise through async functions: V8 marks resumed frames with `async`.
async function fetchUser(id) {
  await null;
  throw new RangeError(`user ${id} out of range`);
}

async function render() {
  const user = await fetchUser(42);
  return user.name;
}

render().catch((err) => {
  console.error(err.stack);
  process.exitCode = 1;
});
