var scope = { x: 1 };
with (scope) { console.log(x); }
