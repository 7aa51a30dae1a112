x = `a${ {b: 1}.b }c${ `${ function f(){ return `}${"}"}` } }` }d`;
const t = tag`x${y}z`; function g() { return `${`${`${1}`}`}` }
