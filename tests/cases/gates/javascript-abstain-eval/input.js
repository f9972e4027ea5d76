eval("var created = 1");
console.log(created);
