"""Issue 6: the devnet end to end with guardian OS processes: contained with 4 guardians
(threshold 3), still contained with one killed and outsiders flooding, not contained with two
killed; nothing left running afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from node.devnet.runner import DevnetOptions, run_devnet

from .process_helpers import processes_mentioning

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(300)]


def _run(tmp_path: Path, kill: int, **options) -> tuple[int, dict, str]:
    console = Console(record=True, width=120)
    code, summary = run_devnet(DevnetOptions(guardians=4, threshold=3, kill=kill,
                                             run_dir=tmp_path / "run", live=False, **options),
                               console=console)
    assert not processes_mentioning(str(tmp_path / "run")), "processes left behind"
    return code, summary, console.export_text()


@pytest.fixture(scope="module")
def chromium() -> str | None:
    """Debian's chromium for the explorer page test: installed with apt-get where missing.
    None (the browser part is then skipped, with the reason) only if it cannot be installed."""
    import shutil
    import subprocess

    from node.explorer.browser import find_chromium

    if find_chromium() is None and shutil.which("apt-get"):
        try:
            subprocess.run("apt-get update && apt-get install -y chromium", shell=True,
                           check=False, capture_output=True, timeout=600)
        except subprocess.TimeoutExpired:
            pass
    return find_chromium()


def test_devnet_contains_the_exploit(tmp_path, chromium):
    code, summary, text = _run(tmp_path, kill=0)
    assert code == 0, text
    assert summary["contained"] and summary["saved_fraction"] >= 0.5
    # issue 14: the default one-transaction exploit runs after the containment in its block
    assert summary["scenario"] == "oneshot" and summary["same_block"], summary
    # in the exploit's own block, or (when the exploit missed that block) a block before it
    assert summary["saved_fraction"] == 1.0 and summary["blocks_to_containment"] <= 0
    assert summary["cover"] == "nothing lost, nothing to pay", summary  # issue 26
    assert summary["hook_succeeded"] and summary["blocks_to_containment"] <= 5
    assert len(summary["signers"]) >= 3
    # the keys came from the guardians' DKG ceremony (no dealer): the oracle accepted a
    # containment signed with DKG shares, under the group key the ceremony produced
    assert summary["key_generation"] == "DKG ceremony (no dealer)", summary
    assert 0 < summary["ceremony_seconds"] < 120
    sets = {(tmp_path / "run" / f"guardian-{i}" / "guardian-set.json").read_bytes()
            for i in range(1, 5)}
    assert sets == {(tmp_path / "run" / "guardian-set.json").read_bytes()}
    # Racing a pending exploit, the first two to combine both send (issue 23: no single point of
    # lateness); every lost race reverts cheaply at the nonce check, before the BLS verification
    # (issue 12: 35-38 expensive reverts per run before). The attack contract is usually caught
    # when it is deployed (issue 25: its probe breaks isSolvent), before any race: then nothing
    # races at all.
    reverted = summary["authorize_reverted"]
    assert reverted <= max(0, summary["authorize_sent"] - 1), summary
    assert summary["gas_of_reverted_authorize"] <= 40_000 * reverted, summary
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["containment_tx"] == summary["containment_tx"]
    logs = sorted(p.name for p in (tmp_path / "run" / "logs").iterdir()
                  if p.name.startswith("guardian-"))
    assert logs == [f"guardian-{i}.log" for i in range(1, 5)]
    # exactly one successful containment transaction: one ContainmentEngaged in the summary,
    # and one guardian's log confirms it (a racer whose transaction lost says "reverted")
    confirmed = [name for name in logs
                 if "containment confirmed" in (tmp_path / "run" / "logs" / name).read_text()]
    assert len(confirmed) == 1, confirmed
    # issue 27: the explorer audited the containment (the guardians' own verification) and a
    # real browser shows it with its verdict; the summary links it
    assert summary["containment_audit"] == "justified", summary
    assert summary["containment_rule"].endswith(": holds"), summary  # the rule and numbers
    assert summary["containment_page"].endswith(f"/containment/{summary['containment_tx']}")
    assert f"explorer on {summary['explorer']}" in text
    if chromium is None:
        pytest.skip("the explorer page in a browser: chromium cannot be installed here "
                    "(apt-get install chromium failed)")
    assert summary["explorer_in_browser"] == "containment shown with its verdict", summary
    assert summary["explorer_timeline_plot"], summary  # the script drew the timeline
    shot = Path(summary["explorer_screenshot"])
    assert shot.parent == tmp_path / "run" and shot.read_bytes()[:4] == b"\x89PNG"


def test_two_guardians_down_is_not_contained_and_says_so(tmp_path):
    # the DKG itself is tested by test_devnet_contains_the_exploit; a dealer keeps this one short
    code, summary, text = _run(tmp_path, kill=2, dealer=True)
    assert code == 1
    assert not summary["contained"]
    assert "NOT contained" in text


def test_one_guardian_down_and_outsiders_flooding_contained_and_kept_running_until_ctrl_c(
        tmp_path, capsys):
    """With one of four guardians killed before the attack, the other three (the threshold) still
    contain it, while two outsider processes flood every guardian (admitted as observers, so
    their signed forged Shares and malformed frames reach the node); `--keep-running` then leaves
    the network up (`guardian status` answers, the containment is in it); Ctrl-C (SIGINT) then
    stops every process. (One network for all of it: a devnet run is the slowest thing in the
    suite.)"""
    import os
    import signal
    import subprocess
    import sys
    import time

    from node.cli import main

    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "devnet", "--guardians", "4", "--threshold", "3",
         "--kill", "1", "--keep-running", "--no-live", "--dealer", "--outsiders", "observe",
         "--flooders", "2", "--scenario", "drip", "--run-dir", str(run_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 200
        while not (run_dir / "summary.json").exists():  # written by another process: poll
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the devnet never finished its scenario"
            time.sleep(0.2)
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["contained"] and summary["killed_before_attack"] == 1, summary
        assert len(summary["signers"]) == 3, summary  # the three still alive
        assert summary["saved_fraction"] >= 0.5 and summary["blocks_to_containment"] <= 5, summary
        flood, p2p = summary["flooders"], summary["p2p"]
        assert flood["flooders"] == 2 and flood["connected"] >= 1 and flood["messages"] > 0, flood
        assert p2p["restarts"] == 0 and p2p["bans"] >= 1, p2p
        # observers' messages are dropped before validation: only the guardians' own traffic is
        assert p2p["dropped"] > 0 and p2p["rejects"] == 0, p2p
        # issue 26: what the drip took before the containment (often nothing now that its
        # pending transactions are raced) the cover pool pays, confirmed after the containment
        if summary["funds_drained"] == "0 USDd":
            assert summary["cover"] == "nothing lost, nothing to pay", summary
        else:
            assert summary["cover_paid"] and summary["blocks_containment_to_confirmation"] > 0, \
                summary
        deployment = json.loads((run_dir / "deployment.json").read_text())
        status_urls, protocol_id = deployment["status_urls"], deployment["deployment"]["protocol_id"]
        capsys.readouterr()
        assert main(["status", "--url", status_urls["1"]]) == 0
        out = capsys.readouterr().out
        assert "guardian 1 (guardian-1): ready" in out
        assert f"contained now   {protocol_id}" in out, out
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=150)[0].decode(errors="replace")  # a loaded machine
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "network left running" in output and "interrupted: stopping every process" in output
    assert proc.returncode == 130
    assert not processes_mentioning(str(run_dir)), "processes left behind"


@pytest.fixture
def reaper(tmp_path):
    """Stops whatever `devnet up` recorded in tmp_path/state.json and is still running when the
    test ends: a pytest timeout during `down` (seen at load 30-40) left the devnet running."""
    yield
    import os
    import signal

    state = tmp_path / "state.json"
    if not state.exists():
        return
    for pid in json.loads(state.read_text()).get("processes", {}).values():
        try:
            os.killpg(int(pid), signal.SIGKILL)  # each the leader of its own process group
        except (OSError, ValueError):
            pass


def test_up_attack_attack_down_leaves_nothing_running(tmp_path, reaper):
    """`guardian devnet up` returns with the devnet running; `attack` twice (the second against
    a fresh demo instance, since the first pool stays contained), each contained; `down` stops
    every process `up` started."""
    import os
    import subprocess
    import sys

    run_dir, state = tmp_path / "run", tmp_path / "state.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def guardian(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "node.cli", "devnet", *args,
                               "--state", str(state)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)

    # a dealer: the ceremony is tested by test_devnet_contains_the_exploit
    up = guardian("up", "--guardians", "4", "--threshold", "3", "--dealer",
                  "--run-dir", str(run_dir))
    try:
        assert up.returncode == 0, up.stdout
        for needed in ("oracle ", "demo pool ", "governance ", "interval mining: one block "
                       "every 1s", "guardian devnet attack", "guardian devnet down"):
            assert needed in up.stdout, (needed, up.stdout)
        pids = json.loads(state.read_text())["processes"]
        assert sorted(pids) == ["anvil", *(f"guardian-{i}" for i in range(1, 5))]
        assert processes_mentioning(str(run_dir)), "up left nothing running"

        first = guardian("attack")
        assert first.returncode == 0, first.stdout
        assert "result: CONTAINED (scenario drain" in first.stdout
        assert "submitted the containment" in first.stdout, first.stdout
        second = guardian("attack", "--scenario", "paced")
        assert second.returncode == 0, second.stdout
        assert "deploying a fresh instance" in second.stdout
        assert "result: CONTAINED (scenario paced" in second.stdout
        attacks = json.loads(state.read_text())["attacks"]
        assert [a["contained"] for a in attacks] == [True, True]
        assert attacks[0]["pool"] != attacks[1]["pool"]
    finally:
        down = guardian("down", timeout=60)
    assert down.returncode == 0, down.stdout
    assert not state.exists()
    assert not processes_mentioning(str(run_dir)), "processes left behind"
    for pid in pids.values():
        assert not Path(f"/proc/{pid}/cmdline").exists() or \
            not Path(f"/proc/{pid}/cmdline").read_bytes(), f"pid {pid} still running"
    assert guardian("attack").returncode != 0  # no devnet is up any more
