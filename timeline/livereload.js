// The client half of MkDocs' live reload, served by timeline/preview.py as a file:
// it asks the server for a newer build and reloads the page when there is one.
(function () {
  var script = document.currentScript;
  var epoch = script.dataset.epoch, requestId = script.dataset.request, request, timer;
  function poll() {
    request = new XMLHttpRequest();
    request.onloadend = function () {
      if (parseFloat(this.responseText) > epoch) { location.reload(); }
      else { timer = setTimeout(poll, this.status === 200 ? 0 : 3000); }
    };
    request.open("GET", "/livereload/" + epoch + "/" + requestId);
    request.send();
  }
  function stop() {
    if (request) { request.abort(); }
    if (timer) { clearTimeout(timer); }
    request = timer = undefined;
  }
  window.addEventListener("load", function () { if (document.visibilityState === "visible") { poll(); } });
  window.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); } else { stop(); }
  });
  window.addEventListener("beforeunload", stop);
})();
