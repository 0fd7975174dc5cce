"""Every `guardian ...` command line in the protocol teams' guide parses with the CLI's own
parser, so the guide cannot drift from the options (what the commands do is exercised end to end
in tests/node/test_protocol_cli.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from node.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def command_lines(path: Path) -> list[str]:
    """The `guardian ...` lines of the shell blocks of `path`, continuation lines joined."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", path.read_text(), re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        out += [line.strip() for line in joined.splitlines() if line.strip().startswith("guardian ")]
    return out


COMMANDS = command_lines(DOCS / "integrate.md")


def test_the_guide_shows_every_protocol_command():
    shown = {shlex.split(c)[2] for c in COMMANDS if shlex.split(c)[1] == "protocol"}
    assert shown == {"register", "show", "update", "lift", "extend", "deregister",
                     "transfer-admin", "accept-admin", "accept-registration",
                     "cancel-registration", "evict", "withdraw-refund"}


@pytest.mark.parametrize("line", COMMANDS)
def test_guide_command_parses(line):
    argv = shlex.split(line)
    assert argv[0] == "guardian"
    args = build_parser().parse_args(argv[1:])
    assert callable(args.func)
