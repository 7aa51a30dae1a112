// A shopping cart: items with a SKU, a unit price and a quantity.

// Called from one place and a single expression: terser's compressor inlines its body into the
// callback in Cart#lines, so a minified stack has no frame of its own for it.
function skuKey(entry) {
  return entry.sku.trim().toUpperCase();
}

class Cart {
  constructor(config) {
    this.config = config;
    this.items = [];
  }

  static fromOrder(order, config) {
    const cart = new Cart(config);
    order.items.forEach((item) => cart.add(item));
    return cart;
  }

  add(item) {
    if (this.items.length >= this.config.maxItems) {
      throw new RangeError(`cart: more than ${this.config.maxItems} items`);
    }
    this.items.push(item);
  }

  priceOf(item) {
    if (item.price === undefined || item.price === null) {
      throw new TypeError(`cart: item ${item.sku} has no price`);
    }
    return toCents(item.price, item.quantity, item.sku);
  }

  lines() {
    return this.items.map((item) => {
      const cents = this.priceOf(item);
      return { sku: skuKey(item), cents };
    });
  }

  get total() {
    let sum = 0;
    for (const line of this.lines()) sum += line.cents;
    return roundToNickel(sum * (1 + this.config.taxRate));
  }
}
