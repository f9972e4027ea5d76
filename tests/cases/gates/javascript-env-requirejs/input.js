requirejs.config({ baseUrl: "lib" });
define(["a"], function (a) { return a; });
