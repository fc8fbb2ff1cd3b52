// The in-browser log check: for each of the person's entries, fetch the entry with its
// inclusion proof and the checkpoint it is proven against, then verify, with WebCrypto,
// the checkpoint's Ed25519 signature (C2SP signed-note) under the log's key shown on the
// page, and the RFC 9162 inclusion proof of the entry's leaf hash up to the signed root.
// Once the consortium has adopted a witness policy (rendered by the server into the page as
// JSON: no policy parser here), the checkpoint must also carry the quorum of C2SP
// tlog-cosignature v1 cosignatures, counted as credo.tlog.policy.Policy.satisfied does.
"use strict";
(function () {
  const box = document.getElementById("proofs");
  if (!box || !window.crypto || !crypto.subtle) return;
  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const sha256 = async (...parts) => {
    const len = parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(len);
    let at = 0;
    parts.forEach((p) => { buf.set(p, at); at += p.length; });
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const hex = (a) => Array.from(a, (x) => x.toString(16).padStart(2, "0")).join("");

  // The log's verifier key: name+hexid+base64(0x01 || 32-byte Ed25519 key).
  // The name may not hold a "+", but the base64 key may.
  const vkey = box.dataset.vkey;
  const cut1 = vkey.indexOf("+");
  const cut2 = vkey.indexOf("+", cut1 + 1);
  const keyName = vkey.slice(0, cut1);
  const keyId = vkey.slice(cut1 + 1, cut2);
  const keyData = vkey.slice(cut2 + 1);
  const keyBytes = b64(keyData);
  const keyPromise = keyBytes[0] === 1 && keyBytes.length === 33
    ? crypto.subtle.importKey("raw", keyBytes.slice(1), { name: "Ed25519" }, false, ["verify"])
    : Promise.reject(new Error("bad key"));
  const verified = new Map();

  const policyData = document.getElementById("witness-policy");
  const policy = policyData ? JSON.parse(policyData.textContent) : null;
  const witnesses = (policy ? policy.witnesses : []).map((w) => {
    let key = null;
    const load = () => key || (key = crypto.subtle.importKey(
      "raw", b64(w.key), { name: "Ed25519" }, false, ["verify"]));
    return { name: w.name, keyName: w.key_name, keyId: w.key_id, load };
  });
  const quorums = new Map();
  class Unconfirmed extends Error {}

  async function checkpointRoot(note, size) {
    // A signed note: the text, a blank line, then signature lines "— name base64".
    const cut = note.indexOf("\n\n");
    if (cut < 0) throw new Error("not a signed note");
    const text = note.slice(0, cut + 1);
    if (!verified.has(text)) {
      const key = await keyPromise;
      let ok = false;
      for (const line of note.slice(cut + 2).split("\n")) {
        const m = line.match(/^\u2014 (\S+) (\S+)$/);
        if (!m || m[1] !== keyName) continue;
        const sig = b64(m[2]);
        if (sig.length !== 68 || hex(sig.slice(0, 4)) !== keyId) continue;
        ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), enc.encode(text));
        if (ok) break;
      }
      verified.set(text, ok);
    }
    if (!verified.get(text)) throw new Error("checkpoint signature");
    const lines = text.split("\n");
    if (lines[0] !== box.dataset.origin || Number(lines[1]) !== size) throw new Error("checkpoint");
    return b64(lines[2]);
  }

  // The policy names of the distinct witnesses whose cosignature of the note's text verifies.
  // A line by a listed witness's key (name and key ID) that does not verify fails the check,
  // as credo.tlog.cosignature.verify_cosignatures refuses it; other keys' lines are ignored.
  async function cosigners(note) {
    const cut = note.indexOf("\n\n");
    const text = note.slice(0, cut + 1);
    const names = new Set();
    for (const line of note.slice(cut + 2).split("\n")) {
      const m = line.match(/^\u2014 (\S+) (\S+)$/);
      if (!m) continue;
      const sig = b64(m[2]);
      const w = witnesses.find((x) => x.keyName === m[1] && x.keyId === hex(sig.slice(0, 4)));
      if (!w) continue;
      if (sig.length !== 4 + 8 + 64) throw new Error("cosignature");
      const time = new DataView(sig.buffer, 4, 8).getBigUint64(0);  // big-endian
      if (time > 2n ** 63n - 1n) throw new Error("cosignature");
      const signed = enc.encode("cosignature/v1\ntime " + time + "\n" + text);
      const key = await w.load();
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(12), signed))) {
        throw new Error("cosignature");
      }
      names.add(w.name);
    }
    return names;
  }

  // Whether those witnesses meet the quorum: a witness by cosigning, a group when at least
  // its threshold of members do, "none" always.
  function satisfied(names) {
    if (policy.quorum === "none") return true;
    const groups = new Map(policy.groups.map((g) => [g.name, g]));
    const memo = new Map();
    const ok = (name) => {
      if (!memo.has(name)) {
        const g = groups.get(name);
        memo.set(name, g ? g.members.filter(ok).length >= g.threshold : names.has(name));
      }
      return memo.get(name);
    };
    return ok(policy.quorum);
  }

  async function included(index, size, leaf, proof, root) {
    // RFC 9162 section 2.1.3.2.
    if (index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(Uint8Array.of(1), p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await sha256(Uint8Array.of(1), r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  async function check(item) {
    const index = Number(item.dataset.index);
    const res = await fetch("/v1/entries/" + index, { credentials: "same-origin" });
    if (!res.ok) throw new Error("fetch");
    const got = await res.json();
    if (got.index !== index) throw new Error("index");
    const root = await checkpointRoot(got.checkpoint, got.size);
    const leaf = await sha256(Uint8Array.of(0), b64(got.entry));
    if (!(await included(index, got.size, leaf, got.proof.map(b64), root))) throw new Error("proof");
    if (!policy) return;
    if (!quorums.has(got.checkpoint)) {
      quorums.set(got.checkpoint, cosigners(got.checkpoint).then(satisfied));
    }
    if (!(await quorums.get(got.checkpoint))) throw new Unconfirmed("quorum");
  }

  const button = document.getElementById("check-all");
  const summary = document.getElementById("proof-summary");
  document.querySelectorAll("#proofs .js-only").forEach((el) => { el.hidden = false; });
  button.addEventListener("click", async () => {
    button.disabled = true;
    summary.textContent = box.dataset.checking;
    summary.className = "";
    let bad = 0, unconfirmed = 0;
    for (const item of document.querySelectorAll("li[data-index]")) {
      const out = item.querySelector(".proof-result");
      try {
        await check(item);
        out.textContent = box.dataset.ok;
        out.className = "proof-result proof-ok";
        item.dataset.proof = "ok";
      } catch (err) {
        if (err instanceof Unconfirmed) {  // a sound proof, but the witnesses have not (yet)
          unconfirmed += 1;
          out.textContent = box.dataset.unconfirmed;
          out.className = "proof-result proof-unconfirmed";
          item.dataset.proof = "unconfirmed";
          continue;
        }
        bad += 1;
        out.textContent = box.dataset.bad;
        out.className = "proof-result proof-bad";
        item.dataset.proof = "bad";
        item.dataset.why = err && err.message;  // for whoever investigates
      }
    }
    summary.textContent = bad ? box.dataset.someBad
      : unconfirmed ? box.dataset.someUnconfirmed : box.dataset.allOk;
    summary.className = bad ? "proof-bad" : unconfirmed ? "proof-unconfirmed" : "proof-ok";
    button.disabled = false;
  });
})();
