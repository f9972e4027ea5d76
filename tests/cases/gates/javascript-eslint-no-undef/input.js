/* eslint-disable no-undef */
function render(tex) { return katex.renderToString(tex); }
module.exports = render;
