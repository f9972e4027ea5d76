// the same file with js_envs = browser (no auto detection)
function width() {
  console.log(JSON.stringify([outerWidth]));
  return setTimeout(width, 10);
}
