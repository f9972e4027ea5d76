// names assigned on the global object are globals of the page
window.helper = function () {};
globalThis.other = 1;
this.topLevel = 2;
function F() { this.notGlobal = 3; }
function use() { return [helper(), other, topLevel, notGlobal, new F()]; }
