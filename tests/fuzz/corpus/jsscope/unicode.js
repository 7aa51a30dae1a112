var cafÃ© = function() { return "ðŸ˜€" };
â€¨var ð‘¥ = () => 1; // â€©
const s = "ÿþâ‚"; function \u0061b() {}