// Class methods, a constructor, a getter, a method called through an alias and Array.map.
class Cart {
  constructor(items) {
    this.items = items.map((item) => new LineItem(item));
  }
}

class LineItem {
  constructor(item) {
    if (item.price < 0) this.reject(item);
  }

  reject(item) {
    throw new TypeError(`negative price for ${item.name}`);
  }
}

const api = { create: (items) => new Cart(items) };
api.build = api.create;

try {
  api.build([{ name: 'pen', price: 1 }, { name: 'ink', price: -2 }]);
} catch (err) {
  console.error(err.stack);
}

const shop = {
  checkout() {
    return this.total;
  },
  get total() {
    throw new Error('total is not computed yet');
  },
};
shop.pay = shop.checkout;
try {
  shop.pay();
} catch (err) {
  console.error(err.stack);
}
