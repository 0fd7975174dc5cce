"""`guardian keys ...`: generate the node's identities, and (for testnets) deal BLS shares."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.commands import CommandError
from node.commands import key_file_errors_as_command_errors as _guard


def add_parser(sub) -> None:
    keys = sub.add_parser("keys", help="generate key files (identities, submitter, dealt shares)",
                          description="Generate key files. Every secret file is created with "
                                      "mode 0600 and never overwritten without --force.")
    ksub = keys.add_subparsers(dest="keys_command", metavar="KIND", required=True)

    ident = ksub.add_parser("identity", help="a new libp2p identity (the node's peer id)")
    ident.add_argument("--out", type=Path, required=True, help="file to create (mode 0600)")
    ident.add_argument("--force", action="store_true", help="replace an existing file")
    ident.set_defaults(func=_identity)

    subm = ksub.add_parser("submitter", help="a new Ethereum key that pays for authorize()")
    subm.add_argument("--out", type=Path, required=True, help="file to create (mode 0600)")
    subm.add_argument("--force", action="store_true", help="replace an existing file")
    subm.set_defaults(func=_submitter)

    deal = ksub.add_parser(
        "deal", help="testnets: deal n BLS share keystores and the guardian-set file",
        description="Trusted-dealer key generation for testnets: writes "
                    "DIR/guardian-<i>/share.keystore.json (EIP-2335, 0600) for i = 1..n and "
                    "DIR/guardian-set.json. The group secret is never written.")
    deal.add_argument("--guardians", type=int, required=True, help="number of guardians n")
    deal.add_argument("--threshold", type=int, required=True, help="signatures needed, t <= n")
    deal.add_argument("--out-dir", type=Path, required=True, help="directory to write into")
    deal.add_argument("--passphrase-file", type=Path, required=True,
                      help="file holding the passphrase that encrypts every keystore")
    deal.add_argument("--epoch", type=int, default=1, help="key epoch (default 1)")
    deal.add_argument("--kdf-n", type=int, default=2**18,
                      help="scrypt cost n (default 2^18; lower only for throwaway testnets)")
    deal.add_argument("--peer-ids", default=None, metavar="ID,ID,...",
                      help="the guardians' libp2p peer ids in index order (from `guardian keys "
                           "identity`); default: a new identity per guardian, written as "
                           "guardian-<i>/p2p.key")
    deal.add_argument("--force", action="store_true", help="replace existing keystores")
    deal.set_defaults(func=_deal)


def _identity(args: argparse.Namespace) -> int:
    from node.p2p.identity import generate_identity, peer_id_of, save_identity

    key = generate_identity()
    _guard(lambda: save_identity(args.out, key, force=args.force))
    print(f"peer id {peer_id_of(key)} written to {args.out}")
    return 0


def _submitter(args: argparse.Namespace) -> int:
    from node.keys import generate_submitter_key

    address = _guard(lambda: generate_submitter_key(args.out, force=args.force))
    print(f"submitter address {address} written to {args.out}; fund it to pay for containments")
    return 0


def _deal(args: argparse.Namespace) -> int:
    from node.dealer import deal_keys
    from protocol.bls import get_backend
    from protocol.guardian_set import GuardianSetError
    from protocol.keystore import KeystoreError
    from protocol.threshold import ThresholdError

    try:
        passphrase = args.passphrase_file.read_text().rstrip("\r\n")
    except OSError as exc:
        raise CommandError(f"cannot read passphrase file {args.passphrase_file}: "
                           f"{exc.strerror}") from exc
    if len(passphrase) < 8:
        raise CommandError("the passphrase must have at least 8 characters")
    peer_ids = None
    if args.peer_ids is not None:
        peer_ids = [p.strip() for p in args.peer_ids.split(",") if p.strip()]
        if len(peer_ids) != args.guardians:
            raise CommandError(f"--peer-ids names {len(peer_ids)} peers for --guardians "
                               f"{args.guardians}")
        from node.p2p.identity import IdentityError, check_peer_id

        try:
            peer_ids = [check_peer_id(p) for p in peer_ids]
        except IdentityError as exc:
            raise CommandError(f"--peer-ids: {exc}") from exc
    try:
        gset = _guard(lambda: deal_keys(args.out_dir, args.guardians, args.threshold, passphrase,
                                        backend=get_backend(), epoch=args.epoch,
                                        kdf_n=args.kdf_n, force=args.force, peer_ids=peer_ids,
                                        progress=print))
    except (ThresholdError, KeystoreError, GuardianSetError) as exc:
        raise CommandError(str(exc)) from exc
    print(f"dealt {gset.n} shares, threshold {gset.threshold}, epoch {gset.epoch}; guardian set "
          f"{args.out_dir / 'guardian-set.json'} (hash 0x{gset.hash().hex()})")
    return 0

