// a library's namespace object from another script: used as N.x at the top level, or at
// two places; a single use inside a function is still undefined (a misspelt name)
MathJax.Hub.Config({});
function f() {
  Other.a();
  Other.b();
  return Lib.x();
}
