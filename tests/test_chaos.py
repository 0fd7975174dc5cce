"""Issue 17: the fault suite's scenarios, each on a devnet of real guardian processes.

The default run has the small ones (4 guardians, threshold 3): one Byzantine guardian sending
invalid partials (contained, and every honest guardian's status names it) and a chain outage that
starts before the attack (contained once the connection returns, no crash, no contradictory
shares). Every scenario of `scripts/chaos` runs here too with GUARDIAN_CHAOS_FULL=1 (minutes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.chaos.catalogue import SCENARIOS
from node.chaos.outcome import Outcome
from node.chaos.scenario import Context, timed

from .process_helpers import processes_mentioning

pytestmark = [pytest.mark.chain, pytest.mark.slow]
FULL = os.environ.get("GUARDIAN_CHAOS_FULL") == "1"


def _run(name: str, tmp_path: Path, guardians: int = 4, threshold: int = 3) -> Outcome:
    scenario = next(s for s in SCENARIOS if s.name == name)
    out = Outcome(scenario.name, scenario.expected)
    ctx = Context(guardians, threshold, tmp_path / name, quick=True)
    timed(lambda: scenario.run(ctx, out), out)
    assert not processes_mentioning(str(tmp_path / name)), "processes left behind"
    return out


@pytest.mark.timeout(240)
def test_invalid_partials_are_contained_and_named(tmp_path):
    out = _run("byz-invalid-partial", tmp_path)
    assert out.ok, out
    assert out.contained and out.blamed == [4] and out.crashes == 0
    assert any("bad_partial" in r for r in out.blame_reasons["4"]), out.blame_reasons
    # racing a pending slice, the first two to combine may both send: one cheap revert at most
    assert out.authorize_reverted <= 1


@pytest.mark.timeout(240)
def test_chain_outage_before_the_attack_is_caught_up(tmp_path):
    out = _run("chain-outage", tmp_path)
    assert out.ok, out
    assert out.contained and out.crashes == 0 and out.double_signed == 0
    assert out.blamed == []  # an outage is nobody's fault


@pytest.mark.skipif(not FULL, reason="the whole suite: GUARDIAN_CHAOS_FULL=1 (or scripts/chaos)")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", [s.name for s in SCENARIOS if not s.default_test])
def test_scenario(name, tmp_path):
    out = _run(name, tmp_path)
    assert out.ok, out


def test_only_a_re_sign_for_a_worse_report_counts_as_double_signing(tmp_path):
    """Signing a strictly better report of one incident (earlier evidence block, then lower hash:
    the pipeline's convergence rule) is not equivocation; signing a worse one, or two digests
    from a node whose log line has no preference key, is."""
    from node.chaos.outcome import double_signed

    def line(digest: str, block: int, ev_hash: str) -> str:
        return (f"signed share for digest 0x{digest} (protocol 0xabc nonce 0) evidence block "
                f"{block} hash 0x{ev_hash}\n")

    class Net:
        def log_path(self, i: int) -> Path:
            return tmp_path / f"g{i}.log"

    (tmp_path / "g1.log").write_text(line("aa", 44, "09") + line("bb", 44, "01"))  # better
    (tmp_path / "g2.log").write_text(line("aa", 44, "01") + line("bb", 44, "09"))  # worse
    (tmp_path / "g3.log").write_text(line("aa", 43, "ff") + line("bb", 44, "00"))  # later block
    (tmp_path / "g4.log").write_text("signed share for digest 0xaa (protocol 0xabc nonce 0)\n"
                                     "signed share for digest 0xbb (protocol 0xabc nonce 0)\n")
    assert double_signed(Net(), [1]) == 0
    assert double_signed(Net(), [2]) == 1 and double_signed(Net(), [3]) == 1
    assert double_signed(Net(), [4]) == 1 and double_signed(Net(), [1, 2, 3, 4]) == 3


def test_the_logged_preference_key_survives_the_key_redaction():
    """The pipeline logs the key the check above reads; a full 32-byte evidence hash (64 hex
    digits) was masked as a possible private key, so the check found no key and counted every
    honest convergence onto a better report as double signing (a fault-suite failure)."""
    from node.chaos.outcome import SIGNED_KEY
    from node.logs import redact
    from node.pipeline import PREFERENCE_HASH_BYTES, preference_text
    from protocol.evidence import Evidence, evidence_hash

    ev = Evidence(kind=1, protocol_id=b"\x11" * 32, block_from=40, block_to=44,
                  subject=b"\x22" * 20, observed=(1, 2), detail=b"")
    line = redact(f"signed share for digest 0xaabbcc (protocol 0xabc nonce 0) "
                  f"{preference_text(ev)}")
    (found,) = SIGNED_KEY.findall(line)
    assert found[3] == "44"
    assert bytes.fromhex(found[4]) == evidence_hash(ev)[:PREFERENCE_HASH_BYTES]
