"""Guards for py-libp2p 0.8.1 defects (TOOLCHAIN.md), installed once per process.

1. The library's message signature validator raises on a garbage public key in a message's
   `key` field, which kills the pubsub service: any peer could stop any node with one message.
   We replace it (where pubsub looks it up) with a wrapper that answers False instead.
2. A topic validator that raises kills the node too: `never_raising` wraps ours.
4. The per-peer outbound queue holds 32 RPCs and drops silently: raised (config).
9. A subscription holds 32 messages and drops the rest: raised (config), and drained promptly.
"""

from __future__ import annotations

import functools
import logging

import libp2p.pubsub.pubsub as pubsub_module
from libp2p.pubsub import rpc_queue

log = logging.getLogger("guardian.p2p")

_installed: dict[str, object] = {}


def safe_signature_validator(msg) -> bool:
    try:
        return bool(_installed["signature_validator"](msg))
    except Exception as exc:  # noqa: BLE001 - exactly the defect being guarded
        log.warning("dropped a gossip message whose signature check raised: %s",
                    type(exc).__name__)
        return False


def install_guards(outbound_queue_size: int, subscription_buffer: int) -> None:
    if "signature_validator" not in _installed:
        _installed["signature_validator"] = pubsub_module.signature_validator
        pubsub_module.signature_validator = safe_signature_validator
    pubsub_module.RpcQueue = functools.partial(rpc_queue.RpcQueue, max_size=outbound_queue_size)
    pubsub_module.SUBSCRIPTION_CHANNEL_SIZE = subscription_buffer


def never_raising(validator):
    """Wrap a topic validator so that an exception becomes a rejection, never a crash."""
    @functools.wraps(validator)
    def wrapped(peer_id, msg) -> bool:
        try:
            return bool(validator(peer_id, msg))
        except Exception:  # noqa: BLE001
            log.exception("topic validator raised; rejecting the message")
            return False
    return wrapped
