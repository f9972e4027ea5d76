// describe/it: mocha, jasmine, jest and chai globals
describe('sum', function () {
  beforeEach(function () { this.n = 1; });
  it('adds', function () { assert.equal(1 + 1, 2); expect(2).to.equal(2); });
  xit('later', function () {});
});
