// an ES module has no page globals: what it does not import is undefined
import x from 'x';
Top.level = 1;
export function f() {
  Other.a();
  Other.b();
  return x;
}
