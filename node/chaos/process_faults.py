"""Process faults: kill -9 of the submitter between its send and the receipt; every guardian
restarted once during the incident; one guardian's wall clock 30 s off; a full disk under one
guardian's data directory (a clear error, the sqlite store intact)."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import time
from pathlib import Path

from node.chaos.net import ChaosNet, NetOptions
from node.chaos.outcome import Outcome, measure
from node.chaos.scenario import Context, Scenario, late_containment, wait_for_containment

SUBMITTED = "submitted authorize for"
SKEW_SECONDS = 30
DISK_BYTES = 512 * 1024


def _finish(net: ChaosNet, thread, box, out: Outcome, honest: list[int]):
    thread.join(180)
    result = box.get("result")
    if result is None:
        raise RuntimeError(f"the attack failed: {box.get('error')}")
    if not result.contained:
        wait_for_containment(net, 60)
        late_containment(net, out, result)
    measure(net, out, result, honest)
    return result


def _kill_submitter(ctx: Context, out: Outcome) -> Outcome:
    everyone = list(range(1, ctx.guardians + 1))
    with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir), ctx.say) as net:
        thread, box = net.attack_in_background()
        victim = None

        def sent() -> bool:
            nonlocal victim
            for i in everyone:
                with contextlib.suppress(OSError):
                    if SUBMITTED in net.log_path(i).read_text(errors="replace"):
                        victim = i
                        return True
            return False

        net.wait_until(sent, 90, poll=0.02)
        if victim is not None:
            net.kill(victim)
            out.notes.append(f"guardian {victim} killed right after sending its authorize")
        _finish(net, thread, box, out, [i for i in everyone if i != victim])
        restarted_ok = True
        if victim is not None:  # it comes back on the same data directory and stays up
            net.start_guardian(victim)
            restarted_ok = net.wait_until(lambda: bool((net.statuses().get(victim) or {})
                                                       .get("ready")), 60)
            out.crashes = sum(net.note_crashes().values())
    out.ok = (victim is not None and out.contained and restarted_ok and out.crashes == 0
              and out.double_signed == 0)
    out.observed = (f"{'contained' if out.contained else 'NOT contained'}; submitter "
                    f"{victim} killed after its send, restarted {'fine' if restarted_ok else 'BADLY'}"
                    f"; {out.authorize_sent} authorize tx ({out.authorize_reverted} reverted)")
    return out


def _restart_storm(ctx: Context, out: Outcome) -> Outcome:
    everyone = list(range(1, ctx.guardians + 1))
    with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir), ctx.say) as net:
        thread, box = net.attack_in_background(max_steps=20)
        for i in everyone:  # one at a time, each once, while the incident is open
            net.restart(i)
            time.sleep(1.5)  # the pace of the storm (not synchronisation)
        _finish(net, thread, box, out, everyone)
        back = net.wait_until(lambda: all(s and s.get("ready") for s in
                                          net.statuses().values()), 90)
        out.crashes = sum(net.note_crashes().values())
    out.ok = out.contained and back and out.crashes == 0 and out.double_signed == 0
    out.observed = (f"{'contained' if out.contained else 'NOT contained'} with each of "
                    f"{len(everyone)} guardians restarted once; all back: {back}; "
                    f"{out.double_signed} double-signers")
    return out


def _clock_skew(ctx: Context, out: Outcome) -> Outcome:
    everyone = list(range(1, ctx.guardians + 1))
    env = {1: {"GUARDIAN_CLOCK_SKEW_SECONDS": str(SKEW_SECONDS)}}
    with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, env=env),
                  ctx.say) as net:
        result = net.attack()
        if not result.contained:
            wait_for_containment(net, 60)
            late_containment(net, out, result)
        measure(net, out, result, everyone)
        skewed_signed = bool(_signed(net, 1))
    out.ok = out.contained and out.crashes == 0 and out.blamed == [] and skewed_signed
    out.observed = (f"{'contained' if out.contained else 'NOT contained'} with guardian 1's "
                    f"clock +{SKEW_SECONDS}s; it signed: {skewed_signed}; blamed {out.blamed}")
    return out


def _signed(net: ChaosNet, i: int) -> bool:
    return "signed share for digest" in net.log_path(i).read_text(errors="replace")


def _disk_full(ctx: Context, out: Outcome) -> Outcome:
    everyone = list(range(1, ctx.guardians + 1))
    victim = 1
    data = Path(ctx.run_dir) / f"guardian-{victim}" / "data"
    mounted = False

    def mount() -> None:
        nonlocal mounted
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0700", "tmpfs",
                        str(data)], check=True, capture_output=True, timeout=30)
        mounted = True

    try:
        with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir,
                                 before_start=mount), ctx.say) as net:
            filler = data / "filler"
            _fill(filler)
            thread, box = net.attack_in_background()
            _finish(net, thread, box, out, [i for i in everyone if i != victim])
            net.wait_until(lambda: not net.procs[victim].alive(), 20)
            clear = _logged_disk_error(net)
            stopped = not net.procs[victim].alive()
            net.note_crashes()
            out.crashes = sum(n for i, n in net.crashes.items() if i != victim)
            filler.unlink()
            intact = _integrity(data / "guardian.sqlite")
            net.kill(victim)  # then it starts again on the same store, now with room
            net.start_guardian(victim)
            back = net.wait_until(lambda: bool((net.statuses().get(victim) or {})
                                               .get("ready")), 60)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(data)], capture_output=True, timeout=30,
                           check=False)
    out.ok = out.contained and clear and intact == "ok" and back and out.crashes == 0
    out.observed = (f"{'contained' if out.contained else 'NOT contained'}; guardian {victim} "
                    f"with a full disk: {'stopped' if stopped else 'kept running'}, one clear "
                    f"error line {clear}, sqlite integrity {intact}, restarted with room {back}")
    return out


def _fill(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "wb") as fh:
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()


def _logged_disk_error(net: ChaosNet) -> bool:
    """The node said so in one line (node.store.StoreFull), without a traceback."""
    text = net.log_path(1).read_text(errors="replace")
    return "the disk is full" in text and "Traceback" not in text


def _integrity(path: Path) -> str:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        return f"error: {exc}"


SCENARIOS = [
    Scenario("proc-kill-submitter", "process", "submitter killed -9 between send and receipt: "
             "contained, it restarts cleanly on its store", _kill_submitter),
    Scenario("proc-restart-storm", "process", "each guardian restarted once during the "
             "incident: contained, nothing signed twice", _restart_storm),
    Scenario("proc-clock-skew", "process", "one guardian's clock 30s ahead: contained, it "
             "still takes part, nobody blamed", _clock_skew),
    Scenario("proc-disk-full", "process", "one guardian's data disk full: contained by the "
             "others, a clear error, store intact, restarts once there is room", _disk_full),
]
