// $ and jQuery: the jquery environment (and the browser's)
$(function () {
  $('#a').hide();
  jQuery.fx.off = innerWidth < 100;
});
