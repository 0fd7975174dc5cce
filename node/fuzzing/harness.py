"""What a fuzz target is, and what counts as a finding.

A target feeds one input (bytes) to one decoder the node applies to untrusted data. The decoder
may refuse the input, but only with the typed errors the target lists (`expected`); any other
exception, or a postcondition the target asserts on what was accepted (`Violation`), is a finding.
Inputs the target cannot even shape into the decoder's argument type (`Skip`) are neither.

Structured decoders (RPC answers, CLI arguments) take their argument from the input bytes read as
msgpack (`structured`): that gives every JSON type plus bytes, nested as the fuzzer likes.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack

from node.errors import NodeError

MAX_INPUT_BYTES = 8192


class FuzzError(NodeError):
    """The fuzzing harness itself was misused (unknown target, unreadable corpus)."""


class Skip(Exception):  # noqa: N818 - control flow, never leaves the harness
    """The input does not have the shape of the decoder's argument; not a finding."""


class Violation(AssertionError):
    """The decoder accepted an input but returned something it must not (a postcondition)."""


@dataclass(frozen=True)
class Target:
    name: str
    doc: str  # what is decoded, where the input comes from in a running node
    run: Callable[[bytes], None]
    expected: tuple[type[BaseException], ...]
    dictionary: str | None = None  # tokens of the input's format: tests/fuzz_corpus/dicts/<name>.dict


@dataclass(frozen=True)
class Finding:
    target: str
    data: bytes
    exc_type: str
    message: str
    where: str  # the innermost frame that raised, file:line

    def signature(self) -> tuple[str, str]:
        """What makes two findings the same defect."""
        return self.exc_type, self.where


def check(target: Target, data: bytes) -> Finding | None:
    """Run one input; None when the decoder behaved (accepted, or refused with a typed error)."""
    try:
        target.run(data)
    except Skip:
        return None
    except target.expected:
        return None
    except Exception as exc:  # noqa: BLE001 - anything else is what we are looking for
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1] if frames else None
        where = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else "?"
        return Finding(target.name, data, type(exc).__name__, str(exc)[:300], where)
    return None


def structured(data: bytes) -> Any:
    """The input read as one msgpack value (Skip when it is not one)."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False,
                               max_str_len=4096, max_bin_len=4096, max_array_len=256,
                               max_map_len=64, max_ext_len=0)
    except Exception as exc:  # noqa: BLE001 - msgpack's error set is not closed
        raise Skip() from exc


def text(data: bytes) -> str:
    """The input as UTF-8 text (Skip when it is not)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Skip() from exc


def require(condition: bool, what: str) -> None:
    if not condition:
        raise Violation(what)
