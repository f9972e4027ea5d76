// self.*: a worker
self.onmessage = function (e) {
  postMessage(e.data);
  close();
};
