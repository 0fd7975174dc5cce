"""`guardian dkg ...`: create the guardians' group key together, with no dealer.

    guardian dkg keygen --dir DIR                   ceremony keys + libp2p identity (0600);
                                                    prints this participant's entry (JSON)
    guardian dkg ceremony --name N --threshold T --entry FILE ... --out FILE
                                                    the organiser assembles the ceremony file
    guardian dkg run --ceremony FILE --dir DIR --passphrase-file F [--bootstrap ADDR ...]
                                                    run the ceremony; writes DIR/share.keystore.json,
                                                    DIR/guardian-set.json, the transcript
    guardian dkg reshare --ceremony FILE --dir DIR ... [--old-keystore K --old-passphrase-file F]
                                                    the same for a resharing (same group key)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from node.commands import CommandError
from node.commands import key_file_errors_as_command_errors as _guard


def add_parser(sub) -> None:
    dkg = sub.add_parser(
        "dkg", help="distributed key generation: the group key with no dealer",
        description="Create the guardians' threshold BLS key together (no party ever holds the "
                    "group secret), or reshare it to a new guardian set (same group key). See "
                    "docs/operate.md, 'Key ceremony'.")
    dsub = dkg.add_subparsers(dest="dkg_command", metavar="STEP", required=True)

    keygen = dsub.add_parser("keygen", help="this participant's ceremony keys; prints its entry",
                             description="Create DIR/dkg.key (X25519 + Ed25519 ceremony keys) "
                                         "and DIR/p2p.key (libp2p identity) if missing, both "
                                         "0600, and print the entry the organiser puts in the "
                                         "ceremony file (public keys and peer id only).")
    keygen.add_argument("--dir", type=Path, required=True, help="the participant's directory")
    keygen.set_defaults(func=_keygen)

    cer = dsub.add_parser("ceremony", help="assemble the ceremony file from the entries",
                          description="Entry k (in the order given) becomes guardian k.")
    cer.add_argument("--name", required=True, help="a name for the ceremony (1-64 characters)")
    cer.add_argument("--threshold", type=int, required=True, help="signatures needed, t <= n")
    cer.add_argument("--epoch", type=int, default=None,
                     help="key epoch of the result (default 1; a resharing keeps the current "
                          "set's epoch, which is the default then)")
    cer.add_argument("--entry", type=Path, action="append", required=True, metavar="FILE",
                     help="a participant's entry (from keygen); repeat, in guardian order")
    cer.add_argument("--previous-set", type=Path, help="resharing: the current guardian-set file")
    cer.add_argument("--dealer", action="append", default=[], metavar="INDEX=FILE",
                     help="resharing: a current guardian who deals (its index in the current "
                          "set, its entry file); at least the current threshold of them")
    cer.add_argument("--out", type=Path, required=True, help="the ceremony file to write")
    cer.set_defaults(func=_ceremony)

    for name, reshare in (("run", False), ("reshare", True)):
        _add_run(dsub, name, reshare)


def _add_run(dsub, name: str, reshare: bool) -> None:
    what = ("deal shares of the current shares to a new guardian set (same group key)"
            if reshare else "run the ceremony with the other participants")
    run = dsub.add_parser(name, help=what, description=(
        f"{what[0].upper()}{what[1:]}. Phases DEAL, COMPLAIN, JUSTIFY, AGREE, each ending early "
        "when complete or at its timeout. The state is saved in DIR (0600): after a crash, run "
        "the same command again within the phase's timeout to rejoin. Writes "
        "DIR/share.keystore.json (new guardians), DIR/guardian-set.json (identical for all) and "
        "the transcript only when enough qualified dealers confirmed the same transcript; then "
        "destroys DIR/dkg.key and the state" + (" and the old keystore" if reshare else "")
        + ". Fewer qualified dealers than needed, or no agreement: an error naming who "
        "differs, nothing written."))
    run.add_argument("--ceremony", type=Path, required=True, help="the ceremony file")
    run.add_argument("--dir", type=Path, required=True,
                     help="this participant's directory (dkg.key, p2p.key, state, results)")
    run.add_argument("--out-dir", type=Path,
                     help="where the keystore, guardian set and transcript go (default: --dir; "
                          "a resharing guardian gives a new directory, keeping its old keystore)")
    run.add_argument("--passphrase-file", type=Path,
                     help="passphrase that encrypts the new share keystore (new guardians)")
    run.add_argument("--listen", default="/ip4/0.0.0.0/tcp/9400",
                     help="libp2p listen address (default /ip4/0.0.0.0/tcp/9400)")
    run.add_argument("--bootstrap", action="append", default=[], metavar="MULTIADDR",
                     help="another participant's address, /ip4/.../tcp/.../p2p/<peer id> "
                          "(repeat; each node redials them until the ceremony ends)")
    run.add_argument("--deal-timeout", type=float, default=300, help="seconds (default 300)")
    run.add_argument("--complain-timeout", type=float, default=60, help="seconds (default 60)")
    run.add_argument("--justify-timeout", type=float, default=60, help="seconds (default 60)")
    run.add_argument("--agree-timeout", type=float, default=60, help="seconds (default 60)")
    run.add_argument("--linger", type=float, default=5,
                     help="seconds to keep serving our messages after finishing (default 5)")
    run.add_argument("--kdf-n", type=int, default=2**18,
                     help="scrypt cost of the keystore (default 2^18; lower only on testnets)")
    if reshare:
        run.add_argument("--old-keystore", type=Path,
                         help="current guardians who deal: their current share keystore "
                              "(destroyed once the new shares are agreed)")
        run.add_argument("--old-passphrase-file", type=Path,
                         help="its passphrase (default: --passphrase-file)")
    run.set_defaults(func=_run, reshare=reshare)


def _keygen(args: argparse.Namespace) -> int:
    from node.dkg import CeremonyRunError
    from node.dkg.files import ceremony_entry, ensure_keys
    from node.p2p.identity import peer_id_of

    try:
        keys, identity, created = _guard(lambda: ensure_keys(args.dir))
    except CeremonyRunError as exc:
        raise CommandError(str(exc)) from exc
    print(json.dumps(ceremony_entry(keys, peer_id_of(identity)), indent=2))
    import sys

    print(f"{'created' if created else 'kept existing'} keys in {args.dir} (dkg.key, p2p.key); "
          "send the JSON above to the ceremony's organiser", file=sys.stderr)
    return 0


def _ceremony(args: argparse.Namespace) -> int:
    from node.dkg import CeremonyRunError
    from node.dkg.assemble import assemble, read_entry, read_guardian_set

    try:
        participants = [read_entry(path, k) for k, path in enumerate(args.entry, 1)]
        previous, dealers = None, []
        if args.previous_set:
            previous = read_guardian_set(args.previous_set)
            for spec in args.dealer:
                index, _, path = spec.partition("=")
                if not index.isdigit() or not path:
                    raise CommandError(f"--dealer {spec!r}: expected INDEX=FILE")
                dealers.append(read_entry(Path(path), int(index)))
        elif args.dealer:
            raise CommandError("--dealer needs --previous-set (it is for resharing)")
        epoch = args.epoch if args.epoch is not None else (previous.epoch if previous else 1)
        ceremony = assemble(args.name, args.threshold, epoch, participants,
                            previous_set=previous, dealers=dealers)
    except CeremonyRunError as exc:
        raise CommandError(str(exc)) from exc
    _guard(lambda: args.out.write_text(ceremony.to_json()))
    kind = f"resharing from {len(dealers)} current guardians" if previous else "fresh key"
    print(f"ceremony {ceremony.name}: {ceremony.n} participants, threshold {ceremony.threshold}, "
          f"epoch {ceremony.epoch}, {kind}; id 0x{ceremony.id.hex()} written to {args.out}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from node.commands.dkg_run import run_from_args

    return run_from_args(args)

