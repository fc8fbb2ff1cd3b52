"""The portal's in-browser check requires the witnesses' quorum once the consortium adopted a
witness policy: a real `credo serve`, three real `credo witness` processes adopting a 2-of-3
quorum by governance, and Debian's Chromium through Playwright.

With the quorum, every entry checks out; a cosignature doctored on its way to the browser
fails the check, and one witness's cosignature repeated counts once (not confirmed); with two
witnesses stopped, a new entry about the person is accepted by the log but shows as not
confirmed by the witnesses: not a tick, and not a failed proof either."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from credo.client.member import MemberClient
from credo.ledger.keys import MemberKey
from credo.portal import i18n
from credo.services.node import DataDir
from tests.e2e._browser import demo_world, new_page
from tests.e2e._server import Server, free_port
from tests.e2e._witnesses import (
    WitnessProcess,
    governance,
    running_witnesses,
    served,
    two_of_three,
    until,
)
from tests.portal.conftest import ALICE

pytestmark = pytest.mark.slow
UNCONFIRMED = (
    "Not confirmed yet: the proof checks out, but not enough witnesses have confirmed the "
    "log's latest checkpoint."
)
WITNESS_LINE = "\u2014 w"  # the witnesses' key names are w0.test, w1.test, w2.test


@dataclass
class Log:
    server: Server
    witnesses: list[WitnessProcess]
    url: str  # on localhost: the portal's sessions are for a domain

    def record_about_alice(self, amount: int) -> int:
        """The bank records something about Alice; the log's size after it."""
        key = MemberKey.load(DataDir(self.server.data).member_key("bank"))
        with MemberClient(self.url, "bank", key) as bank:
            _, logged = bank.put_record(ALICE, "finance", "loan.repaid", {"amount": amount})
        return logged.index + 1


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    root = tmp_path_factory.mktemp("portal-quorum")
    demo_world(root / "data")
    port = free_port()
    env = {
        "CREDO_PUBLIC_URL": f"http://localhost:{port}",
        "CREDO_WITNESS_RETRY": "0.5",  # so the test waits less; the behaviour is the same
        "CREDO_WITNESS_TIMEOUT": "5",
    }
    server = Server(root / "data", root / "serve.log", env, workers=0, port=port)
    try:
        server.wait_ready()
        with running_witnesses(root, server.url) as witnesses:
            governance(server, two_of_three(witnesses))
            yield Log(server, witnesses, f"http://localhost:{port}")
    finally:
        server.stop()


def check_all(page: Any, url: str, outcome: str) -> None:
    """Open the log check, check every entry, and expect ``outcome`` as the summary."""
    page.goto(f"{url}/entries")
    page.locator("#check-all").click()
    done = ", ".join(f"#proof-summary.proof-{x}" for x in ("ok", "bad", "unconfirmed"))
    page.wait_for_selector(done, timeout=60_000)
    assert page.get_attribute("#proof-summary", "class") == f"proof-{outcome}", states(page)


def states(page: Any) -> dict[int, str]:
    """Each listed entry's index and the check's outcome for it."""
    got: dict[str, str] = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('li[data-index]')]"
        ".map((li) => [li.dataset.index, li.dataset.proof]))"
    )
    return {int(k): v for k, v in got.items()}


def doctor(page: Any, change: Callable[[list[str]], list[str]]) -> None:
    """Serve every /v1/entries/N with its checkpoint's witness lines passed through
    ``change`` (the log's own signature line is left as it is)."""

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        text, _, sigs = body["checkpoint"].partition("\n\n")
        lines = sigs.splitlines()
        own = [line for line in lines if not line.startswith(WITNESS_LINE)]
        theirs = [line for line in lines if line.startswith(WITNESS_LINE)]
        body["checkpoint"] = text + "\n\n" + "".join(f"{x}\n" for x in own + change(theirs))
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/v1/entries/*", handle)


def flip_signature_bit(lines: list[str]) -> list[str]:
    """The first cosignature's Ed25519 signature with one bit flipped (name, key ID and
    timestamp intact, so it names a listed witness's key)."""
    head, _, sig64 = lines[0].rpartition(" ")
    raw = bytearray(base64.b64decode(sig64))
    raw[4 + 8 + 10] ^= 1
    return [f"{head} {base64.b64encode(bytes(raw)).decode()}", *lines[1:]]


def test_the_browser_check_requires_the_witness_quorum(log: Log, browser: Any) -> None:
    size = log.record_about_alice(10)
    until(lambda: served(log.server) == (size, "met"), "the witnesses never cosigned")

    page = new_page(browser)  # Thai: the messages come from the catalogs
    page.goto(f"{log.url}/signin")
    page.locator('button.person[value="0"]').click()  # the demo list: Alice
    page.wait_for_url(f"{log.url}/")
    check_all(page, log.url, "ok")
    assert page.locator("#witness-policy").count() == 1
    assert set(states(page).values()) == {"ok"}

    # One cosignature doctored: it names a listed witness's key and does not verify, so the
    # check fails, as the Python client refuses it, though the other two make the quorum.
    doctor(page, flip_signature_bit)
    check_all(page, log.url, "bad")
    assert set(states(page).values()) == {"bad"}
    assert page.locator("li[data-why=cosignature]").count() == len(states(page))

    # One witness's valid cosignature three times over is one witness: not the quorum.
    page.unroute("**/v1/entries/*")
    doctor(page, lambda lines: [lines[0]] * 3)
    check_all(page, log.url, "unconfirmed")
    assert set(states(page).values()) == {"unconfirmed"}
    page.unroute("**/v1/entries/*")
    check_all(page, log.url, "ok")  # served as it is, the same checkpoint checks out

    # Two of three witnesses down: the log still takes the entry, the browser does not
    # take its checkpoint.
    log.witnesses[1].stop()
    log.witnesses[2].stop()
    size = log.record_about_alice(20)
    until(lambda: served(log.server) == (size, "unmet"), "the log stopped publishing")
    check_all(page, log.url, "unconfirmed")
    shown = states(page)
    assert shown[size - 1] == "unconfirmed"  # the new entry, listed first
    assert set(shown.values()) == {"unconfirmed"}  # all are proven against that checkpoint
    newest = page.locator(f'li[data-index="{size - 1}"] .proof-result')
    assert newest.inner_text().endswith(i18n.translations("th").gettext(UNCONFIRMED))
    assert i18n.translations("th").gettext(UNCONFIRMED) != UNCONFIRMED
    assert newest.is_visible()
    page.context.close()
