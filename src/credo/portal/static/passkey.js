// Passkey sign-in and registration (WebAuthn). The pages work without this file; it only
// adds the passkey buttons, which need the browser's navigator.credentials.
"use strict";
(function () {
  const box = document.getElementById("passkey");
  if (!box || !window.PublicKeyCredential || !navigator.credentials) return;
  const errorBox = document.getElementById("passkey-error");
  const button = document.getElementById("passkey-go");
  const csrf = box.dataset.csrf;

  const fromB64url = (s) => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  };
  const toB64url = (buf) => {
    let s = "";
    new Uint8Array(buf).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const show = (code) => {
    const key = { unknown_passkey: "unknown", passkey_pending: "pending", account_frozen: "frozen" }[code];
    errorBox.textContent = errorBox.dataset[key || "failed"] || errorBox.dataset.failed;
    errorBox.hidden = false;
  };
  const post = async (url, body) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? "{}" : JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.code || "passkey_failed");
    return data;
  };
  const credentialJSON = (cred) => {
    const r = cred.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response,
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
    };
  };

  async function signIn() {
    const { ceremony, options } = await post("/signin/options");
    options.challenge = fromB64url(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
    const cred = await navigator.credentials.get({ publicKey: options });
    return post("/signin/passkey", { ceremony, credential: credentialJSON(cred) });
  }

  async function register() {
    const options = JSON.parse(document.getElementById("passkey-options").textContent);
    options.challenge = fromB64url(options.challenge);
    options.user.id = fromB64url(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
    const cred = await navigator.credentials.create({ publicKey: options });
    return post("/register/passkey", { ceremony: box.dataset.ceremony, credential: credentialJSON(cred) });
  }

  document.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });
  button.addEventListener("click", async () => {
    errorBox.hidden = true;
    button.disabled = true;
    try {
      const done = box.dataset.mode === "register" ? await register() : await signIn();
      window.location.assign(done.next || "/");
    } catch (err) {
      show(err && err.message);
      button.disabled = false;
    }
  });
})();
