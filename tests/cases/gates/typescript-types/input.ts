import fs = require('fs');
import type { Foo } from './foo';
enum Color { Red }
namespace NS { export const v = 1; }
declare const DECL: number;
interface Shape { x: number }
type Alias = { y: string };
export declare class Dir { n: number }
export { Shape, Alias, Dir };
export class C<T> implements Shape {
  x: number = Color.Red;
  constructor(private readonly dep: Foo, public y?: string) {}
  m(a: number = DECL): number { return (a as any) + NS.v + fs.length + new Dir().n + undef2; }
}
