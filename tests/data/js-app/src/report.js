// Renders an order as a text receipt.

const renderLine = (line, currency) => `  ${line.sku.padEnd(10)} ${formatCents(line.cents, currency)}`;

const renderReceipt = (cart) => {
  const currency = cart.config.currency;
  const total = cart.total;
  const body = cart.lines().map((line) => renderLine(line, currency));
  return [`Receipt in ${cart.config.label}`, ...body, `  TOTAL      ${formatCents(total, currency)}`].join("\n");
};

function checkout(order, configText) {
  const config = Config.fromText(configText);
  const cart = Cart.fromOrder(order, config);
  return renderReceipt(cart);
}
