// in an ES module top-level this is undefined: this.x = does not make a global
import x from 'y';
this.foo = 1;
export function use() { return [foo, x]; }
