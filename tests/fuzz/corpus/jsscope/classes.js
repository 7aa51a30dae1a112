class Shop extends Base {
  #items = [];
  static create = () => new Shop();
  constructor(name) { super(name); }
  get total() { return this.#items.reduce((a, b) => a + b, 0); }
  set total(v) { throw new Error("read only"); }
  static async *stream() { yield* this.#items; }
  #secret() { return 1; }
  [Symbol.iterator]() { return this.#items.values(); }
}
const Anon = class { m() {} };
