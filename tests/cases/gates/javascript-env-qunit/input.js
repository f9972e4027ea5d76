// QUnit-style tests
QUnit.module('m');
test('t', function () {
  ok(true);
  equal(1, 1);
  deepEqual([], []);
});
