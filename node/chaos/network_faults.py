"""Network faults between guardians, each guardian in its own network namespace
(node.chaos.netns): a partition into two groups each smaller than t (no containment while split,
contained after healing, nothing restarted), and 200 ms of added latency with 5% packet loss on
every guardian-to-guardian link (still contained).

The kernel here has no netem, so latency comes from a delaying TcpProxy per guardian on the
bridge, which every guardian must dial (iptables in each namespace drops direct traffic to the
other guardians), and loss from iptables' `statistic` match on the proxied links."""

from __future__ import annotations

import re
import time

from node.chaos.net import ChaosNet, NetOptions
from node.chaos.netns import GuardianNamespaces, available
from node.chaos.outcome import Outcome, measure
from node.chaos.scenario import (
    Context,
    Scenario,
    containment,
    late_containment,
    wait_for_containment,
)
from node.devnet.network import Topology

SPLIT_SECONDS = 20.0
QUICK_SPLIT_SECONDS = 12.0
LATENCY_SECONDS = 0.2  # each way, on every guardian-to-guardian link
LOSS = 0.05


def _options(ctx: Context, ns: GuardianNamespaces, **extra) -> NetOptions:
    def topology(chain) -> Topology:
        return Topology(chain.rpc_url, chain.ws_url, p2p_host=ns.ip_template(),
                        listen_host="0.0.0.0", metrics_host="0.0.0.0",  # noqa: S104 - netns
                        status_host=ns.ip_template())

    return NetOptions(ctx.guardians, ctx.threshold, ctx.run_dir, wrap_argv=ns.wrap,
                      topology=topology, anvil_host=ns.host_ip, **extra)


def _partition(ctx: Context, out: Outcome) -> Outcome:
    why = available()
    if why:
        raise RuntimeError(f"network namespaces unavailable: {why}")
    everyone = list(range(1, ctx.guardians + 1))
    half = ctx.guardians // 2
    groups = [everyone[:half], everyone[half:]]
    if max(len(g) for g in groups) >= ctx.threshold:
        raise RuntimeError(f"cannot split {ctx.guardians} guardians into groups below "
                           f"t={ctx.threshold}")
    seconds = QUICK_SPLIT_SECONDS if ctx.quick else SPLIT_SECONDS
    with GuardianNamespaces(ctx.guardians) as ns, \
            ChaosNet(_options(ctx, ns), ctx.say) as net:
        ns.partition(groups)
        thread, box = net.attack_in_background(max_steps=8)
        split_at = time.monotonic()
        contained_while_split = net.wait_until(lambda: containment(net) is not None, seconds,
                                               poll=1.0)
        ns.heal()
        healed_head = net.head()
        thread.join(120)
        result = box.get("result")
        if result is None:
            raise RuntimeError(f"the attack failed: {box.get('error')}")
        c = wait_for_containment(net, 120)
        late_containment(net, out, result)
        measure(net, out, result, everyone)
        if c:
            out.notes.append(f"contained {c['block'] - healed_head} blocks after healing "
                             f"(split for {time.monotonic() - split_at:.0f}s in all)")
    out.ok = (not contained_while_split and out.contained and out.crashes == 0
              and out.double_signed == 0)
    out.observed = (f"split {groups[0]} | {groups[1]} for {seconds:.0f}s: "
                    f"{'CONTAINED while split' if contained_while_split else 'not contained'};"
                    f" after healing: {'contained' if out.contained else 'NOT contained'}")
    return out


def _through_proxies(net: ChaosNet, ns: GuardianNamespaces) -> dict:
    """A delaying proxy in front of every guardian's p2p port; configs dial the proxies."""
    from node.chaos.tcp_proxy import TcpProxy

    proxies = {}
    for i, addr in net.doc["p2p"].items():
        port = int(re.search(r"/tcp/(\d+)/", addr).group(1))
        proxy = TcpProxy(port, upstream_host=ns.ip(int(i)), listen_host=ns.host_ip).start()
        proxy.delay = LATENCY_SECONDS
        proxies[int(i)] = (port, proxy)
    for i in range(1, ns.guardians + 1):
        config = net.config_path(i)
        text = config.read_text()
        for j, (port, proxy) in proxies.items():
            text = text.replace(f"/ip4/{ns.ip(j)}/tcp/{port}/",
                                f"/ip4/{ns.host_ip}/tcp/{proxy.port}/")
        config.write_text(text)
    return proxies


def _latency(ctx: Context, out: Outcome) -> Outcome:
    why = available()
    if why:
        raise RuntimeError(f"network namespaces unavailable: {why}")
    everyone = list(range(1, ctx.guardians + 1))
    proxies: dict = {}
    with GuardianNamespaces(ctx.guardians) as ns:
        def before_start() -> None:
            proxies.update(_through_proxies(net_box["net"], ns))
            ns.isolate_except_host()
            ns.lose(LOSS, [p.port for _, p in proxies.values()])

        net_box: dict = {}
        opts = _options(ctx, ns, before_start=before_start, mesh_timeout=240.0)
        net = ChaosNet(opts, ctx.say)
        net_box["net"] = net
        try:
            with net:
                result = net.attack()
                if not result.contained:
                    wait_for_containment(net, 90)
                    late_containment(net, out, result)
                measure(net, out, result, everyone)
                delivery = sorted(s["gossip_delivery"]["p50_ms"] for s in net.statuses().values()
                                  if s and s.get("gossip_delivery", {}).get("samples"))
                links = sum(p.connections for _, p in proxies.values())
        finally:
            for _, proxy in proxies.values():
                proxy.stop()
    # the impairment was real: heartbeats took at least the added latency to arrive
    slowed = bool(delivery) and delivery[0] >= LATENCY_SECONDS * 1000 * 0.9
    out.ok = out.contained and out.crashes == 0 and out.double_signed == 0 and slowed
    out.observed = (f"{'contained' if out.contained else 'NOT contained'} with "
                    f"{LATENCY_SECONDS * 1000:.0f} ms each way and {LOSS:.0%} loss between "
                    f"guardians (heartbeat delivery p50 "
                    f"{f'{delivery[0]:.0f}-{delivery[-1]:.0f} ms' if delivery else 'unknown'}; "
                    f"{links} proxied links)")
    return out


SCENARIOS = [
    Scenario("net-partition", "network", "mesh split into two groups each smaller than t: no "
             "containment while split; contained after healing, nothing restarted", _partition),
    Scenario("net-latency-loss", "network", "200 ms latency and 5% loss between guardians: "
             "contained", _latency),
]
