"""Chain faults: each guardian reaches anvil through its own TcpProxy (node.chaos.tcp_proxy), which
refuses connections for an outage that starts before the attack, drops the WebSocket again and
again, delays every answer by 2 s, or freezes one guardian's connection (a stale head). The
exploit must be contained; no guardian may crash or sign contradictory digests."""

from __future__ import annotations

import time

from node.chaos.net import ChaosNet, NetOptions
from node.chaos.outcome import Outcome, measure
from node.chaos.scenario import Context, Scenario, late_containment, wait_for_containment

OUTAGE_SECONDS = 30.0
QUICK_OUTAGE_SECONDS = 12.0
DELAY_SECONDS = 2.0
DROP_EVERY_SECONDS = 3.0


def _judge(out: Outcome, what: str) -> Outcome:
    out.ok = out.contained and out.crashes == 0 and out.double_signed == 0
    out.observed = (f"{'contained' if out.contained else 'NOT contained'} {what}; "
                    f"{out.crashes} crashes, {out.double_signed} double-signers")
    return out


def _outage(ctx: Context, out: Outcome) -> Outcome:
    seconds = QUICK_OUTAGE_SECONDS if ctx.quick else OUTAGE_SECONDS
    honest = list(range(1, ctx.guardians + 1))
    with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, chain_proxies=True),
                  ctx.say) as net:
        for proxy in net.proxies.values():
            proxy.refuse()
        down_at = time.monotonic()
        time.sleep(2.0)  # the outage is under way before the first attack transaction
        thread, box = net.attack_in_background(max_steps=6)
        net.wait_until(lambda: time.monotonic() - down_at >= seconds, seconds + 5)
        for proxy in net.proxies.values():
            proxy.accept()
        restored_head = net.head()
        thread.join(120)
        result = box.get("result")
        if result is None:
            raise RuntimeError(f"the attack failed: {box.get('error')}")
        c = wait_for_containment(net, 60)
        late_containment(net, out, result)
        measure(net, out, result, honest)
        if c:
            out.notes.append(f"contained {c['block'] - restored_head} blocks after the "
                             f"connection returned (attack began at block "
                             f"{result.first_attack_block}, outage ended at {restored_head})")
        out.contained = bool(c)
    return _judge(out, f"after a {seconds:.0f}s outage that began before the attack")


def _during_attack(fault: str):
    def run(ctx: Context, out: Outcome) -> Outcome:
        honest = list(range(1, ctx.guardians + 1))
        with ChaosNet(NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, chain_proxies=True),
                      ctx.say) as net:
            stale = net.proxies[1]
            if fault == "delay":
                for proxy in net.proxies.values():
                    proxy.delay = DELAY_SECONDS
            elif fault == "stale-head":
                stale.blocked = True  # guardian 1's chain connection stops moving
            thread, box = net.attack_in_background(max_steps=12)
            while thread.is_alive():
                if fault == "ws-drop":
                    for proxy in net.proxies.values():
                        proxy.drop()
                thread.join(DROP_EVERY_SECONDS)
            result = box.get("result")
            if result is None:
                raise RuntimeError(f"the attack failed: {box.get('error')}")
            if not result.contained:  # every read 2 s late: detection and submission are slow
                wait_for_containment(net, 120 if fault == "delay" else 60)
                late_containment(net, out, result)
            if fault == "stale-head":
                stale.blocked = False
            measure(net, out, result, honest)
        what = {"ws-drop": f"with every chain connection dropped every {DROP_EVERY_SECONDS:.0f}s",
                "delay": f"with every chain answer {DELAY_SECONDS:.0f}s late",
                "stale-head": "with guardian 1's chain connection frozen (stale head)"}[fault]
        return _judge(out, what)
    return run


SCENARIOS = [
    Scenario("chain-outage", "chain",
             "chain connection refused 30s from before the attack: contained after it returns; "
             "no crash, no contradictory shares", _outage, default_test=True),
    Scenario("chain-ws-drop", "chain", "WebSocket dropped every 3s during the attack: contained",
             _during_attack("ws-drop")),
    Scenario("chain-delay", "chain", "every chain answer 2s late: contained",
             _during_attack("delay")),
    Scenario("chain-stale-head", "chain", "one guardian's chain view frozen: contained by the "
             "others, no crash", _during_attack("stale-head")),
]
