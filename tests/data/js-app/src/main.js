// Entry: `node app.js [SCENARIO] [--uncaught]` checks out one sample order.
// Scenarios: ok, price (an item without a price), quantity (a quantity that is a string),
// sku (an item without a SKU), config (an invalid tax rate), rounding (a price that is not a
// finite number).

const SCENARIOS = {
  ok: { config: "currency = EUR\ntaxRate = 0.2", items: [{ sku: "tea", price: 3.5, quantity: 2 }] },
  price: { config: "currency = EUR", items: [{ sku: "tea", price: 3.5, quantity: 1 }, { sku: "mug", quantity: 1 }] },
  quantity: { config: "currency = USD", items: [{ sku: "cups", price: 2, quantity: "3" }] },
  sku: { config: "currency = EUR", items: [{ sku: "tea", price: 3.5, quantity: 1 }, { price: 4, quantity: 2 }] },
  config: { config: "# shop settings\ncurrency = EUR\ntaxRate = 20%", items: [] },
  rounding: { config: "currency = GBP", items: [{ sku: "gold", price: 1e308, quantity: 10 }] },
};

function main(argv) {
  const name = argv[0] || "ok";
  const scenario = SCENARIOS[name];
  if (!scenario) {
    console.error(`unknown scenario ${name}; try one of ${Object.keys(SCENARIOS).join(", ")}`);
    return 2;
  }
  if (argv.includes("--uncaught")) {
    console.log(checkout({ items: scenario.items }, scenario.config));
    return 0;
  }
  try {
    console.log(checkout({ items: scenario.items }, scenario.config));
    return 0;
  } catch (err) {
    console.error(err.stack);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
