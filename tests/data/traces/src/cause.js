// An error with a cause, printed by util.inspect the way Node prints uncaught errors.
function readDb() {
  throw new Error('connection refused');
}

function loadUser() {
  try {
    readDb();
  } catch (err) {
    throw new Error('could not load user', { cause: err });
  }
}

try {
  loadUser();
} catch (err) {
  console.error(err);
}
