"""The seed corpus kept in the repository: tests/fuzz_corpus/<target>/<name>, one input per
file. Seeds are named by their hash (`seed-<sha1>`); inputs that once exposed a defect are kept
as `regress-<sha1>` so that every later run replays them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from node.fuzzing.harness import MAX_INPUT_BYTES, FuzzError

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "fuzz_corpus"


def target_dir(target: str, root: Path = CORPUS_DIR) -> Path:
    return root / target


def dictionary(name: str, root: Path = CORPUS_DIR) -> Path:
    """A libFuzzer dictionary (tokens of an input format) shared by targets of that format."""
    return root / "dicts" / f"{name}.dict"


def load(target: str, root: Path = CORPUS_DIR) -> list[bytes]:
    """Every input of the target's corpus, in name order (empty when there is none)."""
    folder = target_dir(target, root)
    if not folder.is_dir():
        return []
    try:
        return [p.read_bytes()[:MAX_INPUT_BYTES] for p in sorted(folder.iterdir()) if p.is_file()]
    except OSError as exc:
        raise FuzzError(f"cannot read the corpus {folder}: {exc.strerror}") from exc


def add(target: str, data: bytes, prefix: str = "seed", root: Path = CORPUS_DIR) -> Path:
    folder = target_dir(target, root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}-{hashlib.sha1(data).hexdigest()[:16]}"
    path.write_bytes(data)
    return path


def write_seeds(root: Path = CORPUS_DIR) -> dict[str, int]:
    """(Re)write every target's seeds; regressions already there stay. Returns seeds per target."""
    from node.fuzzing.seeds import SEEDS

    counts = {}
    for target, make in SEEDS.items():
        folder = target_dir(target, root)
        if folder.is_dir():
            for old in folder.glob("seed-*"):
                old.unlink()
        inputs = make()
        for data in inputs:
            add(target, data, "seed", root)
        counts[target] = len(inputs)
    return counts
