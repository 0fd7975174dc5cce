"""Logging: human text or JSON lines, with secrets masked before anything is written.

The redaction filter masks anything that looks like a private key (64 hex digits, with or without
0x) and the values of fields named like secrets. Digests, tx hashes and protocol ids are also 32
bytes; they are logged shortened (`0x1234abcd...`) on purpose, so the mask costs nothing useful.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

SECRET_HEX = re.compile(r"(?<![0-9a-fA-F])(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])")
SECRET_FIELDS = re.compile(r"((?:passphrase|password|secret|private_key|privkey|sk)\s*[=:]\s*)(\S+)",
                           re.IGNORECASE)
MASK = "<redacted>"


def redact(text: str) -> str:
    return SECRET_FIELDS.sub(lambda m: m.group(1) + MASK, SECRET_HEX.sub(MASK, text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    def format(self, record: logging.LogRecord) -> str:
        doc = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
               + f".{int(record.msecs):03d}Z", "level": record.levelname.lower(),
               "node": self.node, "logger": record.name, "msg": record.getMessage()}
        if record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc)


def setup_logging(node: str, fmt: str = "text", level: str = "info", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(node))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)-7s {node} %(name)s: "
                                               "%(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("libp2p", "multiaddr", "web3", "urllib3", "asyncio", "websockets"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
