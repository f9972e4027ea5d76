/* eslint-env browser */
/* global Foo, Bar:writable */
/* jshint node: true, qunit: false */
function f() {
  return [outerWidth, Foo, Bar, clearImmediate, Bazz, ok];
}
