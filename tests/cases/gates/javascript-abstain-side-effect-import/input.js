// an import for its effects may define globals (a polyfill, a smash-built fragment)
import "./polyfill";
export function f() { return polyfilled(1); }
