// CommonJS: the same
const x = require('x');
function f() {
  helper(1);
  return helper(2) + x;
}
module.exports = f;
