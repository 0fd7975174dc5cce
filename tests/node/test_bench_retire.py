"""The benchmarks deploy a fresh demo instance per run from one governance account, which may hold
at most MAX_PROTOCOLS_PER_ADMIN registrations (the 16th run of `scripts/bench prepared` was
refused with GuardianOracleAdminLimitReached): `retire` deregisters the finished instances first.
A fake oracle here; the benchmarks run it against anvil on every run after the first."""

from __future__ import annotations

from types import SimpleNamespace

from node.devnet.contracts import retire


def test_retire_deregisters_the_registered_instances_and_skips_the_rest():
    registered = {b"\x01" * 32, b"\x02" * 32}
    sent = []

    class Functions:
        @staticmethod
        def isRegistered(pid):  # noqa: N802 - the contract's name
            return SimpleNamespace(call=lambda: pid in registered)

        @staticmethod
        def deregister(pid):
            return ("deregister", pid)

    class Gov:
        @staticmethod
        def transact(what, call):
            sent.append(call)
            registered.discard(call[1])

    oracle = SimpleNamespace(functions=Functions())
    retire(Gov(), oracle, ["0x" + "01" * 32, "0x" + "03" * 32, "0x" + "01" * 32])
    assert sent == [("deregister", b"\x01" * 32)]
    assert registered == {b"\x02" * 32}
