// a test page script calling a harness's helpers (defined by another script) at two places
function t() {
  moduleTeardown(1);
  return moduleTeardown(2);
}
function u() {
  return typo;
}
