"""`guardian audit TX_HASH --rpc URL [--guardian URL ...] [--json]`: check a containment.

Exit codes: 0 the containment was justified under the rules registered at its block, 1 it was
not, 2 no guardian produced its evidence, 3 the audit could not run (a malformed hash, not an
authorize transaction, an RPC that does not answer)."""

from __future__ import annotations

import argparse
import json
import sys

# The audit's modules (web3, the verification stack) load when the command runs, not when
# `guardian` builds its parser: every other command, and `--help`, start in a fraction of a second.

CANNOT_AUDIT = 3


def add_parser(sub) -> None:
    p = sub.add_parser(
        "audit", help="check that a containment was justified, on your own node",
        description="Decode an authorize transaction, recompute its digest from the chain, fetch "
                    "its evidence from the guardians and re-run the registered rule with the "
                    "guardians' own verification. Exit 0 justified, 1 not justified, 2 evidence "
                    "not found, 3 the audit could not run.")
    p.add_argument("tx_hash", metavar="TX_HASH", help="the authorize transaction (0x + 64 hex)")
    p.add_argument("--rpc", required=True, help="your own JSON-RPC endpoint (HTTP)")
    p.add_argument("--guardian", action="append", default=[], metavar="URL",
                   help="a guardian's status URL serving /evidence (repeat; tried in order)")
    p.add_argument("--oracle", metavar="ADDRESS",
                   help="refuse a transaction to any other contract (recommended: a look-alike "
                        "contract can emit the same event)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=_audit)


def _address(text: str) -> bytes:
    from node.audit.transaction import AuditError

    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 20:
        raise AuditError(f"--oracle {text!r} is not a 20-byte 0x address")
    return value


def _audit(args: argparse.Namespace) -> int:
    import trio

    from node.audit.core import audit
    from node.audit.output import as_dict, as_text
    from node.audit.transaction import AuditError

    try:
        oracle = _address(args.oracle) if args.oracle else None
        result = trio.run(audit, args.rpc, args.tx_hash, list(args.guardian), oracle)
    except AuditError as exc:
        if args.json:
            print(json.dumps({"verdict": "cannot audit", "exit_code": CANNOT_AUDIT,
                              "error": str(exc)}))
        print(f"guardian audit: error: {exc}", file=sys.stderr)
        return CANNOT_AUDIT
    print(json.dumps(as_dict(result), indent=2) if args.json else as_text(result))
    return result.code
