// feature tests on possibly undeclared globals are guards, not reads
if (typeof window === 'undefined' && typeof someLib !== "undefined") {
  console.log('node');
}
function check(obj) {
  // a misspelt local inside typeof compared with anything else is a read
  return typeof objj !== 'object' ? null : obj;
}
