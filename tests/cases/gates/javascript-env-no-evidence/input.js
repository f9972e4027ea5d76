// no evidence of any environment: browser-only names are undefined, the ECMAScript and
// shared node/browser ones are not
function width() {
  console.log(JSON.stringify([outerWidth]));
  return setTimeout(width, 10);
}
