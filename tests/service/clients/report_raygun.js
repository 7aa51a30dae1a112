// Reports the app's error with the unmodified raygun npm client (raygun4node).
// Everything comes from the environment (argv would be sent along):
//   UV_HOST, UV_PORT, UV_TOKEN (the API key), UV_APP (the minified app), UV_SECRET,
//   UV_COLUMNS=1 to turn on the client's reportColumnNumbers (off by default: no columns)
// Prints the HTTP status of the server's answer; exits 1 when sending failed.
"use strict";
const raygun = require("raygun");
const env = process.env;
const columns = env.UV_COLUMNS === "1";

const client = new raygun.Client().init({
  apiKey: env.UV_TOKEN,
  host: env.UV_HOST,
  port: Number(env.UV_PORT),
  useSSL: false,
  reportColumnNumbers: columns,
});
client.setVersion("1.0.0");
const app = require(env.UV_APP);
let error = null;
try {
  app.quote({ items: [{ price: "2", quantity: 1 }] });
} catch (e) {
  error = e;
}
if (!error) {
  console.error("report_raygun: the app did not throw");
  process.exit(1);
}
const timer = setTimeout(() => {
  console.error("report_raygun: no answer within 20 s");
  process.exit(1);
}, 20000);
const customData = {
  password: env.UV_SECRET,
  note: "card " + "4111111111111111",
  run: columns ? "raygun-columns" : "raygun",
};
client
  // raygun4node 2.x takes custom data as { customData } (a bare object is ignored).
  .send(error, { customData })
  .then((message) => {
    clearTimeout(timer);
    // The client resolves (not rejects) with the Error when the request fails.
    if (message instanceof Error) {
      console.error("report_raygun: send failed: " + message.message);
      process.exit(1);
    }
    const status = message && message.statusCode;
    console.log(String(status));
    if (!(status >= 200 && status < 300)) process.exit(1);
  })
  .catch((err) => {
    clearTimeout(timer);
    console.error("report_raygun: send failed: " + (err.stack || err));
    process.exit(1);
  });
