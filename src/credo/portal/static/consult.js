// A vote without a reload: post the vote form in the background and put the next statement
// where the last one was. Without JavaScript, or if anything goes wrong, the form is posted
// as usual (the server answers a plain HTML page either way).
"use strict";
(function () {
  const card = document.getElementById("statement-card");
  if (!card || !window.fetch) return;
  card.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.classList || !form.classList.contains("vote-form")) return;
    const button = event.submitter;
    if (!button || !button.name) return;
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    body.set(button.name, button.value);
    let answer;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-credo-fetch": "1" },
        body: body.toString(),
      });
      if (!res.ok) throw new Error(String(res.status));
      answer = await res.json();
    } catch (err) {
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = button.name;
      hidden.value = button.value;
      form.appendChild(hidden);
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    card.innerHTML = answer.html;
    const focus = card.querySelector("blockquote, p");
    if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
  });
})();
