// Store configuration: parsed from "key = value" lines, validated by Config.
// Script-style file: its top-level declarations are shared with the files loaded after it.

const DEFAULTS = { currency: "EUR", taxRate: "0.2", maxItems: "8" };

// Splits "key = value" lines into an object; "#" starts a comment.
const parseConfigText = (text) => {
  const entries = {};
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq < 0) throw new SyntaxError(`config: expected key = value, got "${line}"`);
    entries[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return entries;
};

class Config {
  constructor(entries) {
    const merged = Object.assign({}, DEFAULTS, entries);
    this.currency = merged.currency;
    this.taxRate = Number(merged.taxRate);
    if (!(this.taxRate >= 0 && this.taxRate < 1)) {
      throw new TypeError(`config: taxRate must be a number in [0, 1), got "${merged.taxRate}"`);
    }
    this.maxItems = parseInt(merged.maxItems, 10);
  }

  static fromText(text) {
    const entries = parseConfigText(text);
    return new Config(entries);
  }

  get label() {
    return `${this.currency} (tax ${Math.round(this.taxRate * 100)}%)`;
  }
}
