// declare global: diff_match_patch, DIFF_EQUAL
(function () {
  function cmp(a, b) { return new diff_match_patch().diff_main(a, b).filter(function (d) { return d[0] === DIFF_EQUAL; }); }
  window.cmp = cmp;
})();
