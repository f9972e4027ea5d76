const { a, b: { c }, d = fallback, ...rest } = require('./cfg');
const [first, , third = a, ...others] = rest.list;
function f({ p, q: [r] }, [s = t0], ...more) {
  let obj = { a, c, [computedKey]: d };
  return [p, r, s, more, obj, first, third, others];
}
({ x: assignedLater } = {});
for (const [k, v] of Object.entries(rest)) console.log(k, v);
module.exports = f;
