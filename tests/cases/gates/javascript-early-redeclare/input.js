// V8: SyntaxError: Identifier 'total' has already been declared (and 'item', 'Box', 'mode')
function sum(items) {
  let total = 0;
  for (const item of items) total += item;
  let total = total * 2;
  return total;
}
let mode = 1;
var mode = 2;
class Box {}
function Box() {}
switch (mode) {
  case 1: const item = 1; break;
  case 2: const item = 2; break;
}
module.exports = { sum, Box };
