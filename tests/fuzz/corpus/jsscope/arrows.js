const a = x => x * 2, b = async (y, z = () => 1) => { await y; }, c = () => ({ k: v => v });
list.map(i => i ? j => j : k => k).filter(Boolean)
const d = q => q
  .then(r => r)
export default () => {}
