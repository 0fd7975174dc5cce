"""Network namespaces for the network-fault scenarios (root only): each guardian in its own
namespace with one veth into a bridge, anvil and the harness on the bridge itself, so faults can
be put between guardians without touching anyone else's loopback.

    bridge chb<tag> 10.<net>.0.254/24   anvil listens here; the harness reaches /status here
    netns chaos-<tag>-<i>, eth0 10.<net>.0.<i>/24   guardian i

`partition(groups)` drops traffic between guardians of different groups (iptables inside each
namespace; `heal()` removes it). This kernel has no netem (nor prio), so latency is a proxy's job
(node.chaos.network_faults); `isolate_except_host` forces every guardian link through the host
and `lose` drops a share of the packets on those links (iptables `statistic`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess

from node.errors import NodeError


class NetnsError(NodeError, RuntimeError):
    """Network namespaces cannot be set up here (not root, no `ip`, ...)."""


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise NetnsError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


def available() -> str | None:
    """None if namespaces can be used, else why not."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    for tool in ("ip", "iptables", "tc"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    return None


class GuardianNamespaces:
    def __init__(self, guardians: int) -> None:
        self.guardians = guardians
        self.tag = secrets.token_hex(2)
        self.net = 64 + int(self.tag, 16) % 128  # 10.64-191.0.0/24: runs side by side differ
        self.bridge = f"chb{self.tag}"
        self.host_ip = f"10.{self.net}.0.254"
        self._made: list[str] = []

    def ns(self, i: int) -> str:
        return f"chaos-{self.tag}-{i}"

    def ip(self, i: int) -> str:
        return f"10.{self.net}.0.{i}"

    def ip_template(self) -> str:
        return f"10.{self.net}.0.{{i}}"

    def __enter__(self) -> GuardianNamespaces:
        try:
            self._up()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _up(self) -> None:
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        self._made.append("bridge")
        _run("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        for i in range(1, self.guardians + 1):
            ns, outer = self.ns(i), f"chv{self.tag}{i}"
            _run("ip", "netns", "add", ns)
            self._made.append(ns)
            _run("ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _run("ip", "link", "set", outer, "master", self.bridge)
            _run("ip", "link", "set", outer, "up")
            for cmd in (("addr", "add", f"{self.ip(i)}/24", "dev", "eth0"),
                        ("link", "set", "eth0", "up"), ("link", "set", "lo", "up")):
                _run("ip", "-n", ns, *cmd)

    def __exit__(self, *exc: object) -> None:
        for name in reversed(self._made):
            if name == "bridge":
                subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
            else:  # deleting the namespace deletes its veth pair too
                subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self._made.clear()

    def wrap(self, i: int, argv: list[str]) -> list[str]:
        """`argv` run inside guardian i's namespace (ip netns exec execs it: same pid)."""
        return ["ip", "netns", "exec", self.ns(i), *argv]

    def _in(self, i: int, *argv: str) -> None:
        _run("ip", "netns", "exec", self.ns(i), *argv)

    def partition(self, groups: list[list[int]]) -> None:
        for group in groups:
            others = [g for other in groups if other is not group for g in other]
            for i in group:
                for j in others:
                    self._in(i, "iptables", "-A", "INPUT", "-s", self.ip(j), "-j", "DROP")
                    self._in(i, "iptables", "-A", "OUTPUT", "-d", self.ip(j), "-j", "DROP")

    def heal(self) -> None:
        for i in range(1, self.guardians + 1):
            self._in(i, "iptables", "-F", "INPUT")
            self._in(i, "iptables", "-F", "OUTPUT")

    def isolate_except_host(self) -> None:
        """Guardians reach each other only through the bridge host (the suite's proxies)."""
        for i in range(1, self.guardians + 1):
            for j in range(1, self.guardians + 1):
                if j != i:
                    self._in(i, "iptables", "-A", "OUTPUT", "-d", self.ip(j), "-j", "DROP")

    def lose(self, probability: float, ports: list[int]) -> None:
        """Drop `probability` of the packets to and from the host's `ports`, both ways."""
        listed = ",".join(map(str, ports))
        for i in range(1, self.guardians + 1):
            for chain, flag, way in (("OUTPUT", "-d", "--dports"), ("INPUT", "-s", "--sports")):
                self._in(i, "iptables", "-A", chain, flag, self.host_ip, "-p", "tcp", "-m",
                         "multiport", way, listed, "-m", "statistic", "--mode", "random",
                         "--probability", str(probability), "-j", "DROP")
