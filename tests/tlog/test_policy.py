"""C2SP tlog-policy: parsing (every rule of the spec's syntax section) and quorum evaluation,
on the spec's own example policy and on real checkpoints cosigned by generated witnesses."""

from __future__ import annotations

import itertools
import textwrap

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import InputError, VerificationError
from credo.tlog.checkpoint import Checkpoint, sign_checkpoint
from credo.tlog.cosignature import CosignatureSigner
from credo.tlog.note import NoteSigner
from credo.tlog.policy import parse_policy

ORIGIN = "log.test/policy"


def key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed.to_bytes(32, "big"))


LOG = NoteSigner(ORIGIN, key(100))
W = {
    name: CosignatureSigner(f"{name.lower()}.test/w", key(i + 1))
    for i, name in enumerate(["X1", "X2", "X3", "Y1", "Y2", "Y3"])
}

# C2SP tlog-policy, "Example policy", with real keys in place of the elided ones.
EXAMPLE = f"""\
log {LOG.verifier_key()}

witness X1 {W["X1"].verifier_key()}
witness X2 {W["X2"].verifier_key()}
witness X3 {W["X3"].verifier_key()}
group X-witnesses 2 X1 X2 X3

witness Y1 {W["Y1"].verifier_key()}
witness Y2 {W["Y2"].verifier_key()}
witness Y3 {W["Y3"].verifier_key()}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def test_example_policy_parses() -> None:
    policy = parse_policy(EXAMPLE)
    assert [log.origin for log in policy.logs] == [ORIGIN]
    assert list(policy.witnesses) == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    assert policy.groups["X-witnesses"].threshold == 2
    assert policy.groups["Y-witnesses"].threshold == 1
    assert policy.groups["X-and-Y"].threshold == 2
    assert policy.quorum == "X-and-Y"


def test_example_quorum_every_subset() -> None:
    """The spec's reading: at least two X witnesses and at least one Y witness."""
    policy = parse_policy(EXAMPLE)
    names = list(W)
    for n in range(len(names) + 1):
        for subset in itertools.combinations(names, n):
            xs = sum(s.startswith("X") for s in subset)
            ys = sum(s.startswith("Y") for s in subset)
            assert policy.satisfied(set(subset)) == (xs >= 2 and ys >= 1), subset


def cosigned(signers: list[CosignatureSigner], cp: Checkpoint | None = None) -> bytes:
    cp = cp or Checkpoint(ORIGIN, 7, b"\x09" * 32)
    lines = "".join(s.cosign(cp.to_text(), 1700000000).line() for s in signers)
    return sign_checkpoint(cp, [LOG]) + lines.encode()


def test_verify_checkpoint_meets_or_misses_the_quorum() -> None:
    policy = parse_policy(EXAMPLE)
    ok = policy.verify_checkpoint(cosigned([W["X1"], W["X3"], W["Y2"]]))
    assert ok.witnesses == {"X1", "X3", "Y2"}
    assert ok.checkpoint.size == 7
    with pytest.raises(VerificationError, match="quorum"):
        policy.verify_checkpoint(cosigned([W["X1"], W["Y1"], W["Y2"]]))
    # A cosignature by a key the policy does not list counts for nothing.
    stranger = CosignatureSigner("x2.test/w", key(99))  # X2's name, another key
    with pytest.raises(VerificationError, match="quorum"):
        policy.verify_checkpoint(cosigned([W["X1"], stranger, W["Y1"]]))
    # A listed witness's bad cosignature rejects the note (signed-note: known key must verify).
    other = Checkpoint(ORIGIN, 8, b"\x09" * 32)
    bad_line = W["X2"].cosign(other.to_text(), 1).line().encode()
    with pytest.raises(VerificationError, match="does not verify"):
        policy.verify_checkpoint(cosigned([W["X1"], W["Y1"]]) + bad_line)


def test_verify_checkpoint_needs_a_listed_log() -> None:
    policy = parse_policy(f"log {LOG.verifier_key()}\nquorum none\n")
    assert policy.verify_checkpoint(cosigned([])).witnesses == frozenset()
    with pytest.raises(VerificationError, match="no log"):
        policy.verify_checkpoint(cosigned([], Checkpoint("log.test/other", 1, b"\x01" * 32)))
    impostor = NoteSigner(ORIGIN, key(98))
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, b"\x09" * 32), [impostor])
    with pytest.raises(VerificationError):
        policy.verify_checkpoint(note)


def test_verify_log_checkpoint_uses_the_pinned_log_key_not_the_policy_logs() -> None:
    # No log line at all: a log's own witness policy names only its witnesses.
    policy = parse_policy(EXAMPLE.split("\n", 1)[1])
    ok = policy.verify_log_checkpoint(cosigned([W["X1"], W["X2"], W["Y3"]]), LOG.verifier())
    assert ok.witnesses == {"X1", "X2", "Y3"}
    assert ok.log.origin == ORIGIN
    with pytest.raises(VerificationError, match="quorum") as missed:
        policy.verify_log_checkpoint(cosigned([W["X1"], W["Y3"]]), LOG.verifier())
    assert missed.value.code == "no_quorum"
    impostor = NoteSigner(ORIGIN, key(98))
    with pytest.raises(VerificationError) as unsigned:
        policy.verify_log_checkpoint(cosigned([W["X1"], W["X2"], W["Y3"]]), impostor.verifier())
    assert unsigned.value.code != "no_quorum"
    elsewhere = NoteSigner("log.test/other", key(100))
    with pytest.raises(VerificationError, match="not the log key's name"):
        policy.verify_log_checkpoint(cosigned([W["X1"]]), elsewhere.verifier())


def test_single_witness_quorum_and_none() -> None:
    one = parse_policy(f"witness A {W['X1'].verifier_key()}\nquorum A\n")
    assert one.satisfied({"A"})
    assert not one.satisfied(set())
    none = parse_policy("quorum none\n")
    assert none.satisfied(set())
    assert none.logs == ()


def test_nested_groups_numeric_threshold() -> None:
    text = "".join(f"witness {n} {W[n].verifier_key()}\n" for n in W) + textwrap.dedent("""\
        group g1 all X1 X2
        group g2 2 g1 Y1 Y2
        quorum g2
    """)
    policy = parse_policy(text)
    assert policy.satisfied({"X1", "X2", "Y1"})
    assert policy.satisfied({"Y1", "Y2"})
    assert not policy.satisfied({"X1", "Y1"})  # g1 needs both X1 and X2


def test_syntax_whitespace_comments_and_urls() -> None:
    text = (
        "  # a comment\n"
        "\t\n"
        f"log\t{LOG.verifier_key()}  https://log.test/\n"
        f"  witness  A\t{W['X1'].verifier_key()} https://a.test/w#frag  \n"
        "quorum A"  # no final newline
    )
    policy = parse_policy(text.encode())
    assert policy.logs[0].url == "https://log.test/"
    assert policy.witnesses["A"].url == "https://a.test/w#frag"  # "#" mid-line is not a comment


def test_names_are_opaque_octets() -> None:
    # "K" and the Kelvin sign are different names (tlog-policy, "Character set").
    text = (
        f"witness K {W['X1'].verifier_key()}\n"
        f"witness \u212a {W['X2'].verifier_key()}\n"
        "group g all K \u212a\nquorum g\n"
    ).encode()
    policy = parse_policy(text)
    assert not policy.satisfied({"K"})
    assert policy.satisfied({"K", "\u212a"})
    latin1 = f"witness \xe9 {W['X3'].verifier_key()}\nquorum \xe9\n".encode("latin-1")
    assert len(parse_policy(latin1).witnesses) == 1  # not UTF-8, still a name


X1, X2 = W["X1"].verifier_key(), W["X2"].verifier_key()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "no quorum"),
        (f"witness A {X1}\n", "no quorum"),
        ("quorum none\nquorum none\n", "exactly one quorum"),
        ("quorum A\n", "not defined"),
        (f"quorum A\nwitness A {X1}\n", "not defined on an earlier line"),
        (f"witness none {X1}\nquorum none\n", "reserved"),
        (f"witness A {X1}\ngroup none any A\nquorum A\n", "reserved"),
        (f"witness A {X1}\ngroup g any none\nquorum g\n", "cannot be a group member"),
        (f"witness A {X1}\nwitness A {X2}\nquorum A\n", "already defined"),
        (f"witness A {X1}\ngroup A any A\nquorum A\n", "already defined"),
        (f"witness A {X1}\nwitness B {X1}\nquorum A\n", "duplicate witness"),
        (f"log {LOG.verifier_key()}\nlog {LOG.verifier_key()}\nquorum none\n", "duplicate log"),
        (f"witness A {X1}\ngroup g any B\nquorum g\n", "not defined on an earlier line"),
        (f"witness A {X1}\ngroup g any A A\nquorum g\n", "more than once"),
        (f"witness A {X1}\ngroup g 0 A\nquorum g\n", "threshold"),
        (f"witness A {X1}\ngroup g 2 A\nquorum g\n", "threshold"),
        (f"witness A {X1}\ngroup g 01 A\nquorum g\n", "threshold"),
        (f"witness A {X1}\ngroup g some A\nquorum g\n", "threshold"),
        (f"witness A {X1}\ngroup g any\nquorum g\n", "needs a name, a threshold and members"),
        ("witness A\nquorum A\n", "needs a name and a vkey"),
        ("log\nquorum none\n", "needs a vkey"),
        (f"witness A {X1} https://a.test extra\nquorum A\n", "unexpected"),
        ("quorum\n", "exactly one name"),
        ("quorum a b\n", "exactly one name"),
        ("lgo x\nquorum none\n", "unknown keyword"),
        # Keys of the wrong type: a log's note key as a witness, a witness key as a log.
        (f"witness A {LOG.verifier_key()}\nquorum A\n", "0x04"),
        (f"log {X1}\nquorum none\n", "Ed25519 key"),
        ("quorum none\r\n", "control character"),
        ("quorum none\x00\n", "control character"),
    ],
)
def test_invalid_policies(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_policy(text)


def test_error_names_the_line() -> None:
    with pytest.raises(InputError, match="policy line 3"):
        parse_policy(f"\n# x\nwitness A {X1} a b\nquorum A\n")
