// a test page's script: the harness (another script of the page) defines moduleTeardown
QUnit.module("core", { afterEach: moduleTeardown });
QUnit.test("sum", function (assert) {
  assert.equal(1 + 1, 2);
});
