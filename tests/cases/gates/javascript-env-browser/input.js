// document/window use: the browser environment (every name of the browser list)
function size(el) {
  var r = document.getElementById(el).getBoundingClientRect();
  return [r.width, outerHeight, screenLeft, new DOMRect(0, 0, 1, 1), HTMLCanvasElement];
}
