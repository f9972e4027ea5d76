// define(): the amd environment
define(['jquery'], function ($) {
  return function () { require(['other'], function (o) { return o; }); };
});
