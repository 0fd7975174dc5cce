"""One run of the compose testnet: up, the attacker's result, the oracle's event, Prometheus'
targets, and a teardown that leaves no container, volume, network or pod of the project."""

from __future__ import annotations

import json
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from node.compose.engine import Engine
from node.errors import NodeError

LABEL_PROJECT = "com.docker.compose.project"
LABEL_SERVICE = "com.docker.compose.service"


class ComposeCheckFailed(NodeError, RuntimeError):
    """The compose testnet ran but did not show what it must (the message says what)."""


@dataclass
class Testnet:
    engine: Engine
    files: list[Path]
    project: str
    anvil_port: int
    prometheus_port: int
    say: object = print
    notes: dict = field(default_factory=dict)

    def compose(self, *args: str, check: bool = True, timeout: float | None = 600):
        self.engine.env.update(ANVIL_PORT=str(self.anvil_port),
                               PROMETHEUS_PORT=str(self.prometheus_port))
        return self.engine.compose_run(self.files, self.project, *args, check=check,
                                       timeout=timeout)

    def container(self, service: str) -> str:
        out = self.engine.run("ps", "-a", "-q", "--filter", f"label={LABEL_PROJECT}={self.project}",
                              "--filter", f"label={LABEL_SERVICE}={service}").stdout.split()
        if not out:
            raise ComposeCheckFailed(f"no container for the {service} service")
        return out[0]

    def up(self) -> None:
        self.compose("up", "-d", "--no-build", timeout=900)

    def attacker_result(self, timeout: float) -> tuple[int, str]:
        attacker = self.container("attacker")
        code = self.engine.run("wait", attacker, timeout=timeout).stdout.strip().splitlines()[-1]
        logs = self.engine.run("logs", attacker).stdout
        return int(code), logs

    def deployment(self) -> dict:
        with tempfile.TemporaryDirectory(prefix="compose-check-") as tmp:
            dest = Path(tmp) / "deployment.json"
            self.engine.run("cp", f"{self.container('deployer')}:/devnet/deployment.json",
                            str(dest))
            return json.loads(dest.read_text())

    def guardian_set(self):
        """The public guardian set the deployer collected (from the shared volume)."""
        from protocol.guardian_set import GuardianSet

        with tempfile.TemporaryDirectory(prefix="compose-check-") as tmp:
            dest = Path(tmp) / "guardian-set.json"
            self.engine.run("cp", f"{self.container('deployer')}:/devnet/guardian-set.json",
                            str(dest))
            return GuardianSet.from_json(dest.read_text())

    def containment_event(self, doc: dict) -> dict:
        """The oracle's ContainmentEngaged for the demo protocol, read through anvil's loopback
        port (the same artifact ABI the guardians use)."""
        from node.deploy import Deployer
        from node.devnet.network import ATTACKER_KEY

        chain = Deployer.connect(f"http://127.0.0.1:{self.anvil_port}", ATTACKER_KEY)
        dep = doc["deployment"]
        oracle = chain.contract("GuardianOracle", dep["oracle"])
        logs = oracle.events.ContainmentEngaged().get_logs(
            from_block=dep["deploy_block"],
            argument_filters={"protocolId": bytes.fromhex(dep["protocol_id"][2:])})
        if not logs:
            raise ComposeCheckFailed("the oracle emitted no ContainmentEngaged for the demo pool")
        entry = logs[0]
        receipt = chain.w3.eth.get_transaction_receipt(entry["transactionHash"])
        return {"block": entry["blockNumber"], "tx": "0x" + bytes(entry["transactionHash"]).hex(),
                "hook_succeeded": bool(entry["args"]["hookSucceeded"]),
                "submitter": receipt["from"]}  # the event does not repeat the sender

    def prometheus_targets(self, guardians: int, timeout: float) -> dict[str, float]:
        """Wait until Prometheus reports `up == 1` for every guardian target."""
        url = (f"http://127.0.0.1:{self.prometheus_port}/api/v1/query?"
               + urllib.parse.urlencode({"query": 'up{job="guardian"}'}))
        want = {f"guardian-{i}:9100" for i in range(1, guardians + 1)}
        deadline = time.monotonic() + timeout
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                    result = json.loads(response.read())["data"]["result"]
                seen = {r["metric"]["instance"]: float(r["value"][1]) for r in result}
                if want <= {k for k, v in seen.items() if v == 1}:
                    return seen
            except (OSError, ValueError, KeyError):
                pass  # Prometheus still starting
            time.sleep(2)
        raise ComposeCheckFailed(f"Prometheus did not report up == 1 for every guardian within "
                                 f"{timeout:.0f}s: {seen}")

    def logs_tail(self, service: str, lines: int = 40) -> str:
        try:
            return self.engine.run("logs", "--tail", str(lines), self.container(service),
                                   check=False).stdout
        except ComposeCheckFailed:
            return ""

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "-t", "5", check=False)
        self._remove_leftovers()

    def leftovers(self) -> list[str]:
        """What of this project still exists: containers, volumes, networks, pods."""
        found = []
        label = f"label={LABEL_PROJECT}={self.project}"
        for kind, args in (("container", ["ps", "-a", "-q", "--filter", label]),
                           ("volume", ["volume", "ls", "-q", "--filter", label]),
                           ("network", ["network", "ls", "-q", "--filter", label])):
            found += [f"{kind} {x}" for x in self.engine.run(*args, check=False).stdout.split()]
        names = self.engine.run("volume", "ls", "-q", check=False).stdout.split()
        found += [f"volume {v}" for v in names if v.startswith(f"{self.project}_")
                  and f"volume {v}" not in found]
        if self.engine.kind == "podman":
            pods = self.engine.run("pod", "ls", "-q", "--filter", f"name=pod_{self.project}",
                                   check=False).stdout.split()
            found += [f"pod {p}" for p in pods]
        return found

    def _remove_leftovers(self) -> None:
        for item in self.leftovers():
            kind, ident = item.split(" ", 1)
            if kind == "container":
                self.engine.run("rm", "-f", ident, check=False)
            elif kind == "pod":
                self.engine.run("pod", "rm", "-f", ident, check=False)
            else:
                self.engine.run(kind, "rm", "-f", ident, check=False)
