// all accepted by V8: the same names in sibling blocks, var and function redeclared,
// shadowing in an inner block, destructuring, a let per loop
function f(a) {
  if (a) { let y = 1; console.log(y); } else { let y = 2; console.log(y); }
  var z = 1; var z = 2;
  function g() { return z; } function g() { return a; }
  let x = 1;
  { let x = 2; console.log(x); }
  for (let i = 0; i < 2; i++) {} for (let i = 0; i < 2; i++) {}
  const { k } = a; let k2 = k;
  switch (a) { case 1: { let q = 1; break; } case 2: { let q = 2; break; } }
  return g() + x + k2;
}
module.exports = f;
