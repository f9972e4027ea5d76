// forced environments replace the detection: require is not a browser global
var x = require('x');
function width() { return outerWidth + x; }
