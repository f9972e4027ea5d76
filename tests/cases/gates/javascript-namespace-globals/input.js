// a page script: a library's namespace object from another script, used as N.x at the top
// level or read at two places, is a page global; a single use inside a function is still
// undefined (a misspelt name)
MathJax.Hub.Config({});
function f() {
  Other.a();
  Other.b();
  return Lib.x();
}
