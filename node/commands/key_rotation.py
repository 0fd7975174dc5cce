"""`guardian key-rotation queue | execute | cancel | status`: the oracle's governance replaces the
guardians' group key through the oracle's timelock, after the new guardian set ran a fresh DKG
(`guardian dkg run`). Sending and proposing (key file, printed call, Safe batch) work as for
`guardian protocol ...`; the rules live in the oracle (node/governance/rotation.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from node.commands import CommandError

ABOUT = ("Rotate the guardians' group key through the GuardianOracle's timelock: the new "
         "guardian set runs a fresh DKG (`guardian dkg run`), the oracle's governance queues "
         "its public guardian-set file, waits the rotation delay, then executes; the guardians "
         "then restart with the new keystore and set. Only the oracle's governance may queue, "
         "execute or cancel.")


def add_parser(sub) -> None:
    from node.commands.protocol import PROPOSE as SENDING
    from node.commands.protocol import _chain, _send

    PROPOSE = SENDING.replace("`guardian protocol show`", "`guardian key-rotation status`")
    rot = sub.add_parser("key-rotation", help="for the oracle's governance: rotate the group key",
                         description=ABOUT + " " + PROPOSE)
    rsub = rot.add_subparsers(dest="rotation_command", metavar="ACTION", required=True)

    queue = rsub.add_parser(
        "queue", help="queue the new guardian set's group key, t and n",
        description="Queue a key rotation to the group key, threshold and guardian count of "
                    "--guardian-set (the public file `guardian dkg run` writes). The file is "
                    "validated and must be for the oracle's next key epoch; the oracle requires "
                    "n/2 < t <= n. " + PROPOSE)
    _chain(queue)
    queue.add_argument("--guardian-set", type=Path, required=True, metavar="FILE",
                       help="the new public guardian-set JSON file")
    _send(queue)
    queue.set_defaults(func=queue_rotation)

    ex = rsub.add_parser(
        "execute", help="apply the queued rotation once its delay has passed",
        description="Execute the queued key rotation: allowed from its executable time until "
                    "it lapses. With --key-file, confirms the oracle's new key epoch. " + PROPOSE)
    _chain(ex)
    _send(ex)
    ex.set_defaults(func=execute_rotation)

    cancel = rsub.add_parser("cancel", help="withdraw the queued rotation",
                             description="Cancel the queued key rotation. " + PROPOSE)
    _chain(cancel)
    _send(cancel)
    cancel.set_defaults(func=cancel_rotation)

    status = rsub.add_parser(
        "status", help="print the current key and the queued rotation",
        description="Print the oracle's current key epoch, t and n, the rotation delay, and the "
                    "queued rotation with when it becomes executable and when it lapses.")
    _chain(status)
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.add_argument("--guardian-set", type=Path, metavar="FILE",
                        help="also say whether the queued (or current) key is this guardian-set "
                             "file's")
    status.set_defaults(func=show_status)


def _read(client, what: str, fn):
    from node.governance.client import GovernanceError

    try:
        return client.read(what, fn)
    except GovernanceError as exc:
        raise CommandError(str(exc)) from exc


def queue_rotation(args: argparse.Namespace) -> int:
    from node.commands.protocol_run import _client, _execute, _mode
    from node.governance.rotation import RotationFileError, check_next_epoch, read_new_set
    from protocol.bls import get_backend

    _mode(args)
    backend = get_backend()
    try:
        gset = read_new_set(args.guardian_set, backend)
    except RotationFileError as exc:
        raise CommandError(str(exc)) from exc
    client = _client(args)
    try:
        check_next_epoch(gset, _read(client, "keyEpoch", client.oracle.functions.keyEpoch()),
                         args.guardian_set)
    except RotationFileError as exc:
        raise CommandError(str(exc)) from exc
    key = backend.g1_to_eip2537(gset.group_public_key)
    code = _execute(args, client, "queueKeyRotation", key, gset.threshold, gset.n,
                    title=f"queue key rotation to epoch {gset.epoch}")
    if args.key_file is not None:
        delay = _read(client, "rotationDelay", client.oracle.functions.rotationDelay())
        from node.governance.rotation import human_duration

        print(f"queued epoch {gset.epoch} (t={gset.threshold} of n={gset.n}); executable in "
              f"{human_duration(delay)}: `guardian key-rotation execute` after that")
    return code


def execute_rotation(args: argparse.Namespace) -> int:
    from node.commands.protocol_run import _client, _execute, _mode

    _mode(args)
    client = _client(args)
    code = _execute(args, client, "executeKeyRotation", title="execute key rotation")
    if args.key_file is not None:
        f = client.oracle.functions
        print(f"oracle key epoch is now {_read(client, 'keyEpoch', f.keyEpoch())} "
              f"(t={_read(client, 'threshold', f.threshold())} of "
              f"n={_read(client, 'guardianCount', f.guardianCount())}): restart the guardians "
              "with the new share keystore and guardian-set file")
    return code


def cancel_rotation(args: argparse.Namespace) -> int:
    from node.commands.protocol_run import _client, _execute, _mode

    _mode(args)
    return _execute(args, _client(args), "cancelKeyRotation", title="cancel key rotation")


def show_status(args: argparse.Namespace) -> int:
    from node.commands.protocol_run import _client
    from node.governance.client import GovernanceError
    from node.governance.rotation import compare_with_file, read_rotation, render

    client = _client(args)
    try:
        doc = read_rotation(client)
        if args.guardian_set is not None:
            from protocol.bls import get_backend

            doc["file"] = compare_with_file(doc, args.guardian_set, get_backend())
    except GovernanceError as exc:
        raise CommandError(str(exc)) from exc
    print(json.dumps(doc, indent=2) if args.json else render(doc))
    return 0
