// Keeps what a person types in a form when they switch language (the switch loads the page
// again in the other language): each text field is saved in this tab's sessionStorage as it
// is typed, and put back into the same, still empty, field of the page at the same address.
// sessionStorage is this tab's alone and is gone when the tab is closed. A value the server
// sends (a form returned with its answers) always wins over the saved one.
(function () {
  "use strict";
  var fields = document.querySelectorAll("form textarea[name], form input[type=text][name]");
  if (!fields.length || !window.sessionStorage) {
    return;
  }
  var key = "credo-form:" + location.pathname;
  var saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem(key) || "{}") || {};
  } catch (e) {
    saved = {};
  }
  Array.prototype.forEach.call(fields, function (field) {
    if (!field.value && typeof saved[field.name] === "string") {
      field.value = saved[field.name];
    }
    field.addEventListener("input", function () {
      saved[field.name] = field.value;
      try {
        sessionStorage.setItem(key, JSON.stringify(saved));
      } catch (e) {
        // storage full or refused: the text stays on the page, only the switch forgets it
      }
    });
  });
})();
