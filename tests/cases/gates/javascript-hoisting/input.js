'use strict';
main();
function main() {
  return helper() + counter + notHoisted;
}
function helper() { return 1; }
var counter = 0;
