// require/module.exports: node and commonjs globals
const fs = require('fs');
module.exports = function cwd() {
  return process.cwd() + __dirname + Buffer.from(fs.readFileSync('x')).length + clearImmediate;
};
