"""The interpreter's recursion limit, put back to a depth the C stack holds.

py_ecc raises the limit to 100,000 when it is imported, and every node imports it (web3 ->
eth_account -> eth_keyfile -> py_ecc). At that limit a deeply nested JSON document (an RPC answer
web3 decodes, a keystore or guardian-set file: `[` repeated 100,000 times) overflows the C stack
inside the json decoder, and the guardian dies with SIGSEGV instead of refusing the input with a
RecursionError. Found by the decoder fuzzer (node/fuzzing); `guardian` calls `bound_recursion()`
before anything else.
"""

from __future__ import annotations

import sys

# Deep enough for py_ecc and py-evm (which asks for 12,288 under eth-tester); json.loads nested
# 50,000 deep still fits the 8 MiB stacks of the main thread and of worker threads.
SAFE_RECURSION_LIMIT = 12_288


def bound_recursion() -> int:
    """Import py_ecc now (its import raises the limit), then lower the limit; returns it."""
    import py_ecc  # noqa: F401 - imported for its side effect, which this undoes

    sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    return SAFE_RECURSION_LIMIT
