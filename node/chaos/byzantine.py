"""Byzantine guardians (node.byzantine modes, selected per guardian through the environment):
with n - t of them the exploit is contained and every offender is named by the honest guardians;
with t - 1 colluding false reporters and no exploit, nothing is ever authorized."""

from __future__ import annotations

from node.chaos.net import ChaosNet, NetOptions
from node.chaos.outcome import Outcome, measure
from node.chaos.scenario import (
    Context,
    Scenario,
    late_containment,
    settle_blame,
    wait_for_containment,
)

QUIET_BLOCKS = 24  # blocks the colluders get to try, with no exploit


def _with_offenders(mode: str, named: bool):
    def run(ctx: Context, out: Outcome) -> Outcome:
        bad = ctx.last(ctx.tolerated)
        honest = [i for i in range(1, ctx.guardians + 1) if i not in bad]
        env = {i: {"GUARDIAN_BYZANTINE": mode} for i in bad}
        with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, env=env),
                      ctx.say) as net:
            result = net.attack()
            if not result.contained:
                wait_for_containment(net, 30)
                late_containment(net, out, result)
            if named:
                settle_blame(net, honest, bad, 25)
            measure(net, out, result, honest)
        missing = sorted(set(bad) - set(out.blamed)) if named else []
        wrongly = sorted(set(out.blamed) - set(bad))
        out.ok = (out.contained and not missing and not wrongly and out.crashes == 0
                  and out.double_signed == 0)
        out.observed = (f"{'contained' if out.contained else 'NOT contained'}; offenders "
                        f"{bad}, named {out.blamed}" + (f"; NOT named {missing}" if missing else "")
                        + (f"; honest blamed {wrongly}" if wrongly else ""))
        return out
    return run


def _collusion(ctx: Context, out: Outcome) -> Outcome:
    bad = ctx.last(ctx.threshold - 1)
    honest = [i for i in range(1, ctx.guardians + 1) if i not in bad]
    env = {i: {"GUARDIAN_BYZANTINE": "false-report"} for i in bad}
    with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, env=env), ctx.say) as net:
        start = net.head()
        blocks = QUIET_BLOCKS // 2 if ctx.quick else QUIET_BLOCKS
        net.wait_until(lambda: net.head() >= start + blocks, blocks * 3 + 30)
        settle_blame(net, honest, bad, 10)
        measure(net, out, None, honest, from_block=start)
        out.contained = wait_for_containment(net, 0) is not None
    out.ok = (not out.contained and out.authorize_sent == 0 and out.crashes == 0
              and set(bad) <= set(out.blamed) and not set(out.blamed) - set(bad))
    out.observed = (f"{'CONTAINED' if out.contained else 'nothing authorized'} over "
                    f"{blocks} blocks; {out.authorize_sent} authorize tx; colluders {bad}, "
                    f"named {out.blamed}")
    return out


_MODES = [
    ("invalid-partial", True, "invalid partial signatures"),
    ("equivocate", True, "equivocation (two reports and shares per incident)"),
    ("false-report", True, "false reports (evidence the chain does not show)"),
    ("replay", True, "replayed shares and reports (re-sent every second)"),
    ("flood", True, "floods of valid duplicates"),
    ("withhold", True, "withholding (signs nothing)"),
]

SCENARIOS = [
    Scenario(f"byz-{mode}", "byzantine",
             f"n-t guardians send {what}: contained; "
             + ("each offender named" if named else
                "copies dropped as duplicates (not blamed: same bytes as honest re-gossip)"),
             _with_offenders(mode, named), default_test=mode == "invalid-partial")
    for mode, named, what in _MODES
] + [
    Scenario("byz-collusion", "byzantine",
             "t-1 colluding false reporters, no exploit: nothing authorized; each named",
             _collusion),
]
