"""BLS12-381 signatures, min-pk (public keys in G1, signatures in G2), behind one small interface.

Three interchangeable backends give byte-identical results (tests cross-check them):

- `pyblst`   (default, fastest): supranational/blst;
- `arkworks` (py-arkworks-bls12381): has multi-scalar multiplication;
- `py_ecc`   (pure Python): the reference and test oracle; slow.

Hashing to G2 is RFC 9380 `BLS12381G2_XMD:SHA-256_SSWU_RO_` with a project DST per purpose:
`DST_AUTHORIZATION` for what the oracle verifies, `DST_GOSSIP` for authenticating gossip messages.
"""

from __future__ import annotations

from protocol.bls.base import (
    CURVE_ORDER,
    DST_AUTHORIZATION,
    DST_GOSSIP,
    FIELD_MODULUS,
    Backend,
)
from protocol.bls.errors import BLSError

BACKEND_NAMES = ("pyblst", "arkworks", "py_ecc")
DEFAULT_BACKEND = "pyblst"

_cache: dict[str, Backend] = {}


def _load(name: str) -> Backend:
    if name == "pyblst":
        from protocol.bls.pyblst_backend import PyblstBackend
        return PyblstBackend()
    if name == "arkworks":
        from protocol.bls.arkworks_backend import ArkworksBackend
        return ArkworksBackend()
    if name == "py_ecc":
        from protocol.bls.py_ecc_backend import PyEccBackend
        return PyEccBackend()
    raise BLSError(f"unknown BLS backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


def get_backend(name: str | None = None) -> Backend:
    """The named backend, or the fastest one available when `name` is None."""
    if name is None:
        for candidate in BACKEND_NAMES:
            try:
                return get_backend(candidate)
            except ImportError:
                continue
        raise BLSError("no BLS backend is importable")
    if name not in _cache:
        _cache[name] = _load(name)
    return _cache[name]


def available_backends() -> list[str]:
    names = []
    for name in BACKEND_NAMES:
        try:
            get_backend(name)
        except ImportError:
            continue
        names.append(name)
    return names


__all__ = ["BACKEND_NAMES", "CURVE_ORDER", "DEFAULT_BACKEND", "DST_AUTHORIZATION", "DST_GOSSIP",
           "FIELD_MODULUS", "Backend", "BLSError", "available_backends", "get_backend"]
