"""Run a local anvil chain (Prague) as a child process, for tests, the devnet and benchmarks.

`Anvil` picks a free port itself (`--port 0`) and waits for anvil's own "Listening on" line, so
there is no port race and no sleep. Stopping is guaranteed by the context manager: terminate, then
kill after a grace period, always reaping the process.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from node.errors import NodeError
from node.toolchain import tool_path

_LISTENING = re.compile(rb"Listening on ([0-9.]+):(\d+)")

# anvil's default mnemonic ("test test ... junk") accounts 0..9; public test keys, never real funds.
DEV_PRIVATE_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)


class AnvilError(NodeError, RuntimeError):
    """anvil did not start; the message carries its output."""


@dataclass
class Anvil:
    """A running anvil. Use as a context manager: `with Anvil(block_time=1) as chain: ...`."""

    block_time: float | None = None
    chain_id: int = 31337
    hardfork: str = "prague"
    host: str = "127.0.0.1"
    port: int = 0
    startup_timeout: float = 30.0
    log_path: Path | None = None
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _output: list[bytes] = field(default_factory=list, init=False, repr=False)
    _listening: bool = field(default=False, init=False, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(tool_path("anvil")), "--host", self.host, "--port", str(self.port),
               "--hardfork", self.hardfork, "--chain-id", str(self.chain_id)]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        return cmd + list(self.extra_args)

    def start(self) -> Anvil:
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        ready = threading.Event()
        threading.Thread(target=self._pump, args=(ready,), daemon=True).start()
        if not ready.wait(self.startup_timeout) or not self._listening:
            output = b"".join(self._output).decode(errors="replace")[-2000:]
            self.stop()
            raise AnvilError(f"anvil did not start within {self.startup_timeout}s:\n{output}")
        return self

    def _pump(self, ready: threading.Event) -> None:
        """Read anvil's output (so its pipe never fills), note the port, and tee it to the log."""
        assert self.process is not None and self.process.stdout is not None
        log = open(self.log_path, "ab") if self.log_path else None
        try:
            for line in self.process.stdout:
                if not ready.is_set():
                    self._output.append(line)
                    match = _LISTENING.search(line)
                    if match:
                        self.port = int(match.group(2))
                        self._listening = True
                        ready.set()
                if log:
                    log.write(line)
                    log.flush()
        finally:
            ready.set()  # process ended: unblock start(), which then reports the failure
            if log:
                log.close()

    def stop(self, grace: float = 5.0) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
