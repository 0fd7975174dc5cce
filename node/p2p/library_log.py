"""py-libp2p's own log lines, routed through the node's bounded logging and charged to the peer
that caused them.

py-libp2p logs on the `libp2p.*` loggers, and at import it cuts them off from the root logger
(`propagate = False`, no handler). Python then writes their WARNING and ERROR records with its
last-resort handler: bare text on stderr, tracebacks included, outside the node's format and
outside any bound. Several of those lines are a peer's doing (two per RPC with a garbage
`senderRecord`, one per oversized length prefix, a traceback block per failed stream open), so a
peer could fill a guardian's log for free.

`LibraryLogRouter` is the one handler on the `libp2p` logger. For each record it finds the peer
it is about, in this order:

1. the peer whose inbound stream or message the current task is handling (`current_peer`, set by
   the guards at the per-peer boundaries in `node.p2p.guards`): the peer caused it;
2. a peer id among the record's arguments or in its text.

and hands one line (message, exception type and text; no traceback; at most `MAX_TEXT` characters,
newlines removed) to the sink of the P2P service whose task logged it (`service_sink`, set when the
service runs). The service charges the peer and writes the line through the peer ledger's bounded
logging (`node.p2p.service`). A record logged outside every service's tasks (another libp2p host
in the same process, as tests and tools have) goes to the last service started, as a line that
charges nobody.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable

from libp2p.peer.id import ID

MAX_TEXT = 160
# Base58 peer ids as py-libp2p prints them: secp256k1 (16Uiu2...), ed25519 (12D3Koo...), sha256
# multihash (Qm..., RSA keys).
PEER_ID_TEXT = re.compile(r"\b(16Uiu2[1-9A-HJ-NP-Za-km-z]{40,60}|12D3Koo[1-9A-HJ-NP-Za-km-z]{40,50}"
                          r"|Qm[1-9A-HJ-NP-Za-km-z]{44})\b")

# sink(peer or None, levelno, one_line_text)
Sink = Callable[[str | None, int, str], None]

current_peer: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "libp2p_current_peer", default=None)
service_sink: contextvars.ContextVar[Sink | None] = contextvars.ContextVar(
    "libp2p_service_sink", default=None)
_last_sink: list[Sink] = []


def one_line(record: logging.LogRecord) -> str:
    """The record as one bounded line: its message, and the exception's type and text if any."""
    try:
        text = record.getMessage()
    except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format
        text = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        text = f"{text} ({type(exc).__name__}: {exc})"
    # a peer's bytes can end up in the text: one line, no terminal control characters, bounded
    text = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def peer_in_record(record: logging.LogRecord) -> str | None:
    args = record.args
    values = args.values() if isinstance(args, dict) else (args or ())
    for value in values:
        if isinstance(value, ID):
            try:
                return value.to_base58()
            except Exception:  # noqa: BLE001 - a garbage id still names nobody usable
                return None
    match = PEER_ID_TEXT.search(str(record.msg))
    return match.group(1) if match else None


class LibraryLogRouter(logging.Handler):
    """The handler of the `libp2p` logger (see the module docstring)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sink = service_sink.get()
            if sink is None:  # logged outside every service's tasks: a line, never a charge
                if _last_sink:
                    _last_sink[-1](None, record.levelno, one_line(record))
                return
            peer = current_peer.get() or peer_in_record(record)
            sink(peer, record.levelno, one_line(record))
        except Exception:  # noqa: BLE001 - logging must never raise into the library
            pass


def install(sink: Sink) -> None:
    """Route the `libp2p` loggers through `LibraryLogRouter` (once per process) and make `sink`
    the fallback for records logged outside any service's tasks."""
    logger = logging.getLogger("libp2p")
    if not any(isinstance(h, LibraryLogRouter) for h in logger.handlers):
        # Warnings and errors only: below that, py-libp2p's lines are for its own developers
        # (some of its modules log at INFO whatever the level of `libp2p`).
        logger.addHandler(LibraryLogRouter(logging.WARNING))
    logger.propagate = False
    _last_sink[:] = [sink]
