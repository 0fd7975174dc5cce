"""`guardian devnet attack` against a devnet that `guardian devnet up` left running, repeatably.

The first containment pauses the demo pool (for its registered maximum, an hour), so attacking it
again would only show a paused pool. Every attack after the first therefore deploys a fresh
instance of the demo protocol (tokens, AMM, lending pool), registers it with the same oracle (the
guardians pick it up from the oracle's registry on the next heads) and attacks that; the attacker
receives fresh capital in the new instance's token each time. Earlier instances stay contained and
on record. The timeline merges the attacker's transactions with what the guardians' /status shows
for this instance only (detection, combination, submission).
"""

from __future__ import annotations

import threading
import time

from node.deploy import Deployer
from node.devnet.attack import AttackResult, run_attack
from node.devnet.attack_scenarios import SCENARIOS, Scenario  # noqa: F401 (re-exported)
from node.devnet.contracts import ATTACKER_CAPITAL, E18, deploy_demo
from node.devnet.network import ATTACKER_KEY, DEPLOYER_KEY
from node.devnet.session import Session
from node.devnet.status import fetch_all


def fresh_instance(session: Session, say) -> dict:
    """A new demo protocol instance registered with the devnet's oracle, the attacker funded."""
    gov = Deployer.connect(session.rpc_http, DEPLOYER_KEY)
    current = session.instances[-1]
    start = gov.w3.eth.block_number
    fields = deploy_demo(gov, gov.contract("GuardianOracle", current["oracle"]), log=say)
    instance = {**current, **fields, "deploy_block": start, "attacked": False}
    attacker = Deployer.connect(session.rpc_http, ATTACKER_KEY).address
    usd = gov.contract("DemoToken", instance["usd"])
    gov.transact("attacker capital", usd.functions.mint(attacker, ATTACKER_CAPITAL))
    say(f"attacker {attacker} funded with {ATTACKER_CAPITAL // E18:,} USDd of the new instance")
    return instance


def _wait_blocks(w3, count: int, timeout: float = 30.0) -> None:
    target = w3.eth.block_number + count
    deadline = time.monotonic() + timeout
    while w3.eth.block_number < target and time.monotonic() < deadline:
        time.sleep(0.1)  # interval mining seals the blocks


class Timeline:
    """Guardian-side events for one protocol instance, from the guardians' /status."""

    def __init__(self, urls: dict[int, str], protocol_id: str, event) -> None:
        self.urls, self.pid, self.event = urls, protocol_id.lower(), event
        self.stop = threading.Event()
        self.detected = False
        self.combined: set[int] = set()
        self.submitted: set[str] = set()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Timeline:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.poll_once()
        self.stop.set()
        self.thread.join(5)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.poll_once()
            self.stop.wait(0.5)

    def poll_once(self) -> None:
        for index, doc in sorted(fetch_all(self.urls).items()):
            if not doc:
                continue
            for info in (doc.get("incidents") or {}).values():
                if str(info.get("protocol", "")).lower() != self.pid:
                    continue
                if not self.detected and info.get("kind"):
                    self.detected = True
                    self.event(f"guardian {index} detected {info.get('kind')} at block "
                               f"{info.get('block')}: {info.get('reason')}")
                if "digest" in info and index not in self.combined:
                    self.combined.add(index)
                    self.event(f"guardian {index} combined t shares (signers "
                               f"{info.get('signers')})")
            for c in doc.get("contained") or []:
                if str(c.get("protocol", "")).lower() == self.pid and c["tx"] not in self.submitted:
                    self.submitted.add(c["tx"])
                    self.event(f"guardian {index} submitted the containment: tx "
                               f"{c['tx'][:18]}... block {c.get('block')}, gas {c.get('gas')}")


def attack(session: Session, doc: dict, scenario: Scenario, say) -> tuple[AttackResult, dict]:
    started = time.monotonic()

    def event(text: str) -> None:
        say(f"[{time.monotonic() - started:6.1f}s] {text}")

    instance = session.instances[-1]
    if instance["attacked"]:
        event("the demo pool of the previous attack stays contained: deploying a fresh instance")
        instance = fresh_instance(session, event)
        session.instances.append(instance)
        w3 = Deployer.connect(session.rpc_http, ATTACKER_KEY).w3
        _wait_blocks(w3, 2)  # the guardians refresh the oracle's registry on each head
    instance["attacked"] = True
    event(f"scenario {scenario.name}: {scenario.what}; target pool {instance['pool']}")
    urls = {int(k): v for k, v in doc["status_urls"].items()}
    with Timeline(urls, instance["protocol_id"], event):
        result = run_attack(Deployer.connect(session.rpc_http, ATTACKER_KEY), instance,
                            max_steps=scenario.max_steps, gap_blocks=scenario.gap_blocks,
                            on_event=event)
        time.sleep(1.0)  # one more status poll, so the submitter shows in the timeline
    record = {"scenario": scenario.name, "pool": instance["pool"],
              "protocol_id": instance["protocol_id"], "contained": result.contained,
              "first_attack_block": result.first_attack_block,
              "containment_block": result.containment_block,
              "containment_tx": result.containment_tx, "containment_gas": result.containment_gas,
              "attack_transactions": len(result.txs),
              "saved_fraction": round(result.saved_fraction, 4)}
    session.attacks.append(record)
    return result, record


def result_lines(result: AttackResult, record: dict) -> list[str]:
    lines = [f"result: {'CONTAINED' if result.contained else 'NOT contained'} "
             f"(scenario {record['scenario']}, pool {record['pool']})"]
    if result.contained and result.first_attack_block is not None:
        lines.append(f"  blocks from the first attack tx to containment: "
                     f"{result.containment_block - result.first_attack_block}; containment tx "
                     f"{result.containment_tx} (gas {result.containment_gas}, hook succeeded "
                     f"{result.containment_hook_ok}, submitter {result.containment_submitter})")
    lines.append(f"  attack transactions {len(result.txs)}; funds drained "
                 f"{result.drained / E18:,.0f} USDd, saved {result.pool_after / E18:,.0f} USDd "
                 f"({result.saved_fraction:.0%})")
    return lines
