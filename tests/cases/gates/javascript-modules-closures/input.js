/* global jQuery, legacy:writable */
import React, { useState as useS, useEffect } from 'react';
import * as path from 'path';
export { a as b, reexported } from './other';
export { make };
function make(n) {
  let total = 0;
  const add = (x) => { total += x; return total + missingFree; };
  class Box extends Base { get v() { return this.#p ?? Box.name; } #p = 1; }
  try { add(n); } catch ({ message }) { console.log(message); }
  if (typeof maybeGlobal === 'undefined') implicitGlobal = 1;
  label: for (const key in path) { if (key) break label; }
  return [React, useS, useEffect, jQuery, legacy, implicitGlobal, Box, add];
}
