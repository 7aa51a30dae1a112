interface I<T> { pull?: (c: T) => void }
type Fn = (a: number) => void;
class A<T> implements I<T> { private h: Fn = (a) => {}; m(a: T): (x: T) => void { return x => x } }
function g<T>(x: T): Promise<{ a: T }> { return null as any }
