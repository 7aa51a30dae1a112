// Money helpers: amounts are kept in integer cents.

// A closure: remembers the rounding step chosen when it was made.
function makeRounder(step) {
  let calls = 0;
  return (cents) => {
    calls += 1;
    if (!Number.isFinite(cents)) {
      throw new TypeError(`rounder #${calls}: cannot round ${cents} to a step of ${step}`);
    }
    return Math.round(cents / step) * step;
  };
}

const roundToNickel = makeRounder(5);

const formatCents = (cents, currency) => {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")} ${currency}`;
};

// Called from exactly one place: terser's compressor inlines it into its caller.
function requireQuantity(value, sku) {
  if (typeof value !== "number") throw new TypeError(`item ${sku}: quantity is ${typeof value}`);
  return value;
}

function toCents(price, quantity, sku) {
  const count = requireQuantity(quantity, sku);
  return Math.round(price * 100) * count;
}
