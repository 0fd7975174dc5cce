"""The coverage-guided engine: atheris (libFuzzer for Python) running one target in a child
process (libFuzzer owns its process and exits when done). The child instruments the node's and the
protocol's modules (and the parsers they call: tomllib, eth_abi, urllib), starts from the seed
corpus plus a scratch directory libFuzzer grows, and stops at the first finding, leaving the input
in the artifact directory; the parent turns that into a `Finding` by replaying it in-process.

    python -m node.fuzzing.engine TARGET [libFuzzer flags] SCRATCH_DIR SEED_DIR   (the child)
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from node.fuzzing import corpus
from node.fuzzing.harness import MAX_INPUT_BYTES, Finding, FuzzError, Target, check
from node.fuzzing.replay import RunStats
from node.recursion import bound_recursion

INSTRUMENTED = ["protocol", "node", "tomllib", "eth_abi", "urllib", "json"]
START_MARK = "fuzz-decoders: start "
ARTIFACTS_ENV = "GUARDIAN_FUZZ_ARTIFACTS"
PER_INPUT_TIMEOUT = 20  # seconds; libFuzzer reports a slower input as a finding


def available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def fuzz(name: str, runs: int, corpus_root: Path = corpus.CORPUS_DIR,
         timeout: float = 3600.0) -> RunStats:
    """Run `runs` inputs of target `name` under atheris; the seeds are only read."""
    from node.fuzzing.registry import get_target

    target = get_target(name)
    stats = RunStats(name, "atheris", corpus=len(corpus.load(name, corpus_root)))
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        scratch, artifacts = Path(tmp, "corpus"), Path(tmp, "artifacts")
        scratch.mkdir()
        artifacts.mkdir()
        seeds = corpus.target_dir(name, corpus_root)
        cmd = [sys.executable, "-m", "node.fuzzing.engine", name, f"-runs={runs}",
               f"-max_len={MAX_INPUT_BYTES}", f"-timeout={PER_INPUT_TIMEOUT}",
               f"-artifact_prefix={artifacts}/", "-print_final_stats=1", str(scratch)]
        if target.dictionary:
            cmd.insert(5, f"-dict={corpus.dictionary(target.dictionary, corpus_root)}")
        if seeds.is_dir():
            cmd.append(str(seeds))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  errors="replace",
                                  env={**os.environ, ARTIFACTS_ENV: str(artifacts)})
        except subprocess.TimeoutExpired as exc:
            raise FuzzError(f"{name}: atheris did not finish within {timeout:.0f}s") from exc
        end = time.monotonic()
        log = proc.stderr + proc.stdout
        started = re.search(re.escape(START_MARK) + r"([0-9.]+)", log)
        stats.seconds = end - float(started.group(1)) if started else 0.0
        done = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
        stats.runs = int(done[-1]) if done else 0
        cov = re.findall(r"\bcov: (\d+)", log)
        stats.coverage = int(cov[-1]) if cov else None
        found = {p.read_bytes() for p in artifacts.iterdir()}  # libFuzzer's file and ours
        stats.findings += [_finding(target, data, log) for data in sorted(found)]
        if proc.returncode != 0 and not stats.findings:
            raise FuzzError(f"{name}: atheris exited with {proc.returncode} and no reproducible "
                            f"finding:\n{log[-3000:]}")
    return stats


def _finding(target: Target, data: bytes, log: str) -> Finding:
    """What the child stopped on. A Python exception is replayed here for its type and place; a
    deadly signal (the child's process died: a segfault, an abort) is not replayed, it would
    take this process down too."""
    signal = re.search(r"ERROR: libFuzzer: (deadly signal|out-of-memory|timeout)[^\n]*", log)
    if signal is None:
        finding = check(target, data)
        if finding is not None:
            return finding
    what = signal.group(0).split("ERROR: libFuzzer: ")[1] if signal else "not reproducible"
    frames = re.findall(r'File "([^"]+)", line (\d+)', log)
    where = f"{frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][1]}" if frames else "?"
    return Finding(target.name, data, f"process died: {what}", log[-300:], where)


def _child(argv: list[str]) -> None:
    import atheris

    name = argv[1]
    bound_recursion()  # as the node does: fuzz the decoders under the node's recursion limit
    with atheris.instrument_imports(include=INSTRUMENTED):
        from node.fuzzing.registry import get_target

        target = get_target(name)

    artifacts = Path(os.environ[ARTIFACTS_ENV])

    def one_input(data: bytes) -> None:
        finding = check(target, data)
        if finding is not None:
            # kept by the child itself: libFuzzer does not always write its crash file
            (artifacts / f"finding-{hashlib.sha1(data).hexdigest()}").write_bytes(data)
            raise AssertionError(f"{finding.exc_type} at {finding.where}: {finding.message}")

    check(target, b"")  # warm the fixtures (keys, ABIs) before the clock starts
    print(f"{START_MARK}{time.monotonic()}", file=sys.stderr, flush=True)
    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    _child(sys.argv)
