"""`guardian dkg run` and `guardian dkg reshare`: arguments to `node.dkg.runner.RunOptions`,
and the run itself under trio, with its errors as one clear line."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from node.commands import CommandError


def _read_passphrase(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text().rstrip("\r\n")
    except OSError as exc:
        raise CommandError(f"cannot read {what} {path}: {exc.strerror}") from exc
    if len(text) < 8:
        raise CommandError(f"the {what} must hold at least 8 characters")
    return text


def _old_share(args: argparse.Namespace, passphrase: str | None) -> int | None:
    if not getattr(args, "old_keystore", None):
        return None
    from node.keys import KeyFileError, read_keystore
    from protocol.bls import get_backend
    from protocol.keystore import KeystoreError, decrypt_share

    old_pass = _read_passphrase(args.old_passphrase_file, "old passphrase file") or passphrase
    if old_pass is None:
        raise CommandError("--old-keystore needs --old-passphrase-file or --passphrase-file")
    try:
        _, secret = decrypt_share(read_keystore(args.old_keystore), old_pass, get_backend())
    except (KeyFileError, KeystoreError) as exc:
        raise CommandError(f"--old-keystore: {exc}") from exc
    return secret


def options_from_args(args: argparse.Namespace):
    from node.dkg import CeremonyRunError
    from node.dkg.files import load_ceremony
    from node.dkg.phases import Timeouts
    from node.dkg.runner import RunOptions

    try:
        ceremony = load_ceremony(args.ceremony)
        timeouts = Timeouts(args.deal_timeout, args.complain_timeout, args.justify_timeout,
                            args.agree_timeout)
    except (CeremonyRunError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    if args.reshare and not ceremony.is_reshare:
        raise CommandError(f"{args.ceremony} is a fresh key ceremony (no previous set): use "
                           "`guardian dkg run`")
    if not args.reshare and ceremony.is_reshare:
        raise CommandError(f"{args.ceremony} is a resharing: use `guardian dkg reshare`")
    if not 0 <= args.linger <= 600:
        raise CommandError("--linger must be between 0 and 600 seconds")
    passphrase = _read_passphrase(args.passphrase_file, "passphrase file")
    return RunOptions(ceremony=ceremony, directory=args.dir, passphrase=passphrase,
                      listen=args.listen, bootstrap=tuple(args.bootstrap), timeouts=timeouts,
                      linger_seconds=args.linger, kdf_n=args.kdf_n,
                      old_share=_old_share(args, passphrase), out_dir=args.out_dir,
                      old_keystore=getattr(args, "old_keystore", None),
                      say=lambda m: print(m, flush=True))


def run_from_args(args: argparse.Namespace) -> int:
    import trio

    from node.dkg import CeremonyRunError
    from node.dkg.runner import run_ceremony

    opts = options_from_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        outcome = trio.run(run_ceremony, opts)
    except CeremonyRunError as exc:
        raise CommandError(str(exc)) from exc
    written = outcome.written
    if written.keystore:
        print(f"share keystore {written.keystore} (guardian {outcome.result.my_index})")
    print(f"guardian set {written.guardian_set} (hash {written.summary['guardian_set_hash']}); "
          f"transcript {written.transcript}")
    return 0
