// Reports the app's error with the unmodified rollbar npm client (its node build).
// Everything comes from the environment (argv would be sent along in data.server.argv):
//   UV_ENDPOINT (…/api/1/item/), UV_TOKEN, UV_APP (the minified app), UV_SECRET
// Prints the client's callback result as JSON; exits 1 when the client reports a failure.
"use strict";
const Rollbar = require("rollbar");
const env = process.env;

const rollbar = new Rollbar({
  accessToken: env.UV_TOKEN,
  endpoint: env.UV_ENDPOINT,
  captureUncaught: false,
  captureUnhandledRejections: false,
  codeVersion: "1.0.0",
  environment: "test",
});
const app = require(env.UV_APP);
let error = null;
try {
  app.checkout({ items: [{ price: "1.50", quantity: 1 }, { price: "3", quantity: 2 }] });
} catch (e) {
  error = e;
}
if (!error) {
  console.error("report_rollbar: the app did not throw");
  process.exit(1);
}
const timer = setTimeout(() => {
  console.error("report_rollbar: no callback from rollbar within 20 s");
  process.exit(1);
}, 20000);
const custom = { password: env.UV_SECRET, note: "card " + "4111111111111111", run: "rollbar" };
rollbar.error(error, custom, (err, resp) => {
  clearTimeout(timer);
  if (err) {
    console.error("report_rollbar: rollbar reported: " + (err.stack || err));
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(resp === undefined ? null : resp) + "\n");
});
