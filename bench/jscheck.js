// jscheck.js - the syntax check of `node --check FILE.js`, for many sources in one process.
// Reads JSON lines {"src": "..."} on stdin, answers {"ok": bool, "msg": "SyntaxError: ..."} per line.
// A source is compiled as node compiles a CommonJS file (vm.compileFunction with the module
// wrapper's parameters); when that fails it is compiled as an ES module (vm.SourceTextModule),
// as node 20's module-syntax detection does for a .js file outside a "type" package. (node 20's own
// `node --check x.js` stops at that detection and accepts ANY file with import/export syntax, broken
// or not; this compiles it as `node --check x.mjs` does.) "mode" says which compile decided.
// Run with: node --experimental-vm-modules --no-warnings bench/jscheck.js
'use strict';
const vm = require('vm');
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const { src } = JSON.parse(line);
  let ok = true, msg = '', mode = 'commonjs';
  try {
    vm.compileFunction(src, ['exports', 'require', 'module', '__filename', '__dirname'],
                       { filename: 'check.js' });
  } catch (e) {
    try {
      mode = 'module';
      new vm.SourceTextModule(src, { identifier: 'check.js' });
    } catch (e2) {
      ok = false;
      // a module (import/export/import.meta/top-level await) that does not compile as one:
      // its own error, and it is checked with `node --check x.mjs`
      const esm = /import statement outside a module|Unexpected token 'export'|import\.meta|await is only valid/.test(e.message);
      mode = esm ? 'module' : 'commonjs';
      msg = esm ? `${e2.name}: ${e2.message}` : `${e.name}: ${e.message}`;
    }
  }
  process.stdout.write(JSON.stringify({ ok, msg, mode }) + '\n');
});
