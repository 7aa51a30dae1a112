// The app of tests/service/real_clients.sh: minified with terser, it throws a TypeError inside
// parsePrice (called from cartTotal) when an item's price has no cents.
function parsePrice(item) {
  const parts = String(item.price).split(".");
  if (parts.length > 2) {
    throw new RangeError("bad price " + item.price);
  }
  return Number(parts[0]) * 100 + parts[1].length * Number(parts[1]);
}

function cartTotal(cart) {
  let total = 0;
  for (const item of cart.items) {
    total += parsePrice(item) * item.quantity;
  }
  return total;
}

function checkout(cart) {
  const total = cartTotal(cart);
  return { total: total, currency: cart.currency || "EUR" };
}

function quote(cart) {
  return "total: " + cartTotal(cart);
}

module.exports = { checkout: checkout, quote: quote };
