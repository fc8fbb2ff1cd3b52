// Keeps a consultation's results page current without a reload: every 5 seconds it asks for
// the page again with the ETag it was served with; the server answers 304 (one small query,
// no analysis) until a vote changes the result, then the new results replace the old.
// Without JavaScript the page is the same, only as fresh as its last load.
(function () {
  "use strict";
  var box = document.getElementById("results");
  if (!box || !window.fetch || !window.DOMParser) {
    return;
  }
  var etag = box.getAttribute("data-etag");
  function poll() {
    fetch(location.href, { headers: { "If-None-Match": etag }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status !== 200) {
          return null;
        }
        etag = r.headers.get("ETag") || etag;
        return r.text();
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("results");
        if (fresh) {
          box.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () {})
      .then(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 5000);
})();
