"""The machinery behind `node.config`: a config key is a dataclass field whose metadata (`key()`)
says how to read it from TOML, whether it is required, and what it means. From that one
declaration come parsing, the unknown/missing-key checks, `render_config`'s file text and the
documentation table (`schema_markdown`).

Every problem is a `ConfigError` naming the file, the key (as `[section] key`) and what is wrong.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from node.errors import NodeError

_MULTIADDR = re.compile(r"^/(ip4|ip6|dns4|dns6|dns)/[^/]+/tcp/[0-9]{1,5}(/p2p/[1-9A-HJ-NP-Za-km-z]+)?$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class ConfigError(NodeError, ValueError):
    """The configuration file is missing, unreadable or invalid; the message says where."""


Parse = Callable[["Reader", str, str, Any], Any]  # (reader, section, key, raw value) -> value


@dataclasses.dataclass(frozen=True)
class KeySpec:
    help: str
    type: str  # as the documentation shows it
    parse: Parse
    required: bool = False


def key(help: str, type: str, parse: Parse, *, required: bool = False) -> dict[str, KeySpec]:
    """Field metadata declaring a config key (use as `field(metadata=key(...))`)."""
    return {"key": KeySpec(help, type, parse, required)}


def spec(f: dataclasses.Field) -> KeySpec:
    return f.metadata["key"]


class Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, section: str, key: str | None, problem: str) -> ConfigError:
        where = f"[{section}] {key}" if key else f"[{section}]"
        return ConfigError(f"{self.path}: {where}: {problem}")

    def read_section(self, cls, section: str, raw: dict[str, Any]):
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in raw:
                values[f.name] = spec(f).parse(self, section, f.name, raw[f.name])
        return cls(**values)


def check_keys(r: Reader, sections: dict[str, type], required: tuple[str, ...],
               raw: dict[str, Any], retired: dict[tuple[str, str], str] | None = None) -> None:
    """Unknown sections and keys are errors; a `retired` key says why it went and what to do."""
    for section, value in raw.items():
        if section not in sections:
            raise r.fail(section, None, "unknown section" + _hint(section, sections))
        if not isinstance(value, dict):
            raise r.fail(section, None, "must be a table")
        names = [f.name for f in dataclasses.fields(sections[section])]
        for name in value:
            if (section, name) in (retired or {}):
                raise r.fail(section, name, retired[(section, name)])
            if name not in names:
                raise r.fail(section, name, "unknown key" + _hint(name, names))
    for section in required:
        if section not in raw:
            raise r.fail(section, None, "missing section")
    for section, cls in sections.items():
        for f in dataclasses.fields(cls):
            if spec(f).required and f.name not in raw.get(section, {}):
                raise r.fail(section, f.name, "missing")


def _hint(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# parsers ---------------------------------------------------------------------------------------
def string(r: Reader, section: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise r.fail(section, key, f"must be a non-empty string, got {value!r}")
    return value


def choice(*options: str) -> Parse:
    def parse(r: Reader, section: str, key: str, value: Any) -> str:
        value = string(r, section, key, value)
        if value not in options:
            raise r.fail(section, key, f"must be one of {', '.join(options)}, got {value!r}")
        return value
    return parse


def boolean(r: Reader, section: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise r.fail(section, key, f"must be true or false, got {value!r}")
    return value


def integer(low: int, high: int) -> Parse:
    def parse(r: Reader, section: str, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise r.fail(section, key, f"must be an integer, got {value!r}")
        if not low <= value <= high:
            raise r.fail(section, key, f"must be between {low} and {high}, got {value}")
        return value
    return parse


def number(low: float, high: float) -> Parse:
    def parse(r: Reader, section: str, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise r.fail(section, key, f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise r.fail(section, key, f"must be between {low} and {high}, got {value}")
        return float(value)
    return parse


def url(*schemes: str) -> Parse:
    def parse(r: Reader, section: str, key: str, value: Any) -> str:
        value = string(r, section, key, value)
        try:
            parsed = urlparse(value)  # raises on an unclosed [IPv6] host
            hostname = parsed.hostname
        except ValueError as exc:
            raise r.fail(section, key, f"not a URL: {value!r} ({exc})") from exc
        if parsed.scheme not in schemes or not hostname:
            raise r.fail(section, key, f"must be a {'/'.join(schemes)} URL, got {value!r}")
        try:
            parsed.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise r.fail(section, key, f"bad port in {value!r}") from exc
        return value
    return parse


def path(r: Reader, section: str, key: str, value: Any) -> Path:
    """Relative paths are resolved against the directory of the config file."""
    value = string(r, section, key, value)
    if "\0" in value:
        raise r.fail(section, key, f"a path cannot contain a NUL character: {value!r}")
    try:
        p = Path(value).expanduser()  # ~user of an unknown user raises RuntimeError
        return p if p.is_absolute() else (r.path.parent / p).resolve()
    except (RuntimeError, OSError) as exc:
        raise r.fail(section, key, f"cannot resolve the path {value!r}: {exc}") from exc


def address(r: Reader, section: str, key: str, value: Any) -> bytes:
    value = string(r, section, key, value)
    if not _ADDRESS.fullmatch(value):
        raise r.fail(section, key, f"must be a 0x-prefixed 20-byte address, got {value!r}")
    return bytes.fromhex(value[2:])


def host_port(r: Reader, section: str, key: str, value: Any) -> str:
    value = string(r, section, key, value)
    host, _, port = value.rpartition(":")
    if not host or not re.fullmatch(r"[0-9]{1,5}", port) or not 0 <= int(port) <= 65535:
        raise r.fail(section, key, f"must be host:port, got {value!r}")
    return value


def multiaddr(need_peer_id: bool) -> Parse:
    def parse(r: Reader, section: str, key: str, value: Any) -> str:
        if not isinstance(value, str) or not _MULTIADDR.fullmatch(value):
            raise r.fail(section, key, f"not a TCP multiaddr like /ip4/127.0.0.1/tcp/9000"
                                       f"{'/p2p/<peer id>' if need_peer_id else ''}: {value!r}")
        port = int(value.split("/tcp/")[1].split("/")[0])
        if port > 65535:
            raise r.fail(section, key, f"port {port} out of range in {value!r}")
        if need_peer_id and "/p2p/" not in value:
            raise r.fail(section, key, f"bootstrap address needs /p2p/<peer id>: {value!r}")
        return value
    return parse


def multiaddrs(r: Reader, section: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise r.fail(section, key, "must be a list of multiaddrs")
    return tuple(multiaddr(True)(r, section, key, v) for v in value)


# output ------------------------------------------------------------------------------------------
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        text = str(value)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n    " + ",\n    ".join(toml_value(v) for v in value) + "\n]"
    return repr(value) if isinstance(value, float) else str(value)


def render(sections: dict[str, type], values: dict[str, dict[str, Any]], header: str) -> str:
    """TOML text for `values` (section -> key -> value), in the schema's order; None is left out."""
    out = [header]
    for section, cls in sections.items():
        given = values.get(section, {})
        lines = [f"{f.name} = {toml_value(given[f.name])}" for f in dataclasses.fields(cls)
                 if given.get(f.name) is not None]
        if lines:
            out += [f"[{section}]", *lines, ""]
    return "\n".join(out)


def markdown(sections: dict[str, type]) -> str:
    """Every key as a markdown table: section, key, type, default, help."""
    rows = ["| section | key | type | default | help |", "|---|---|---|---|---|"]
    for section, cls in sections.items():
        for f in dataclasses.fields(cls):
            s = spec(f)
            if s.required:
                default = "required"
            elif f.default is not dataclasses.MISSING:
                default = "none" if f.default is None else f"`{toml_value(f.default)}`"
            else:
                default = f"`{toml_value(f.default_factory())}`"
            rows.append(f"| `[{section}]` | `{f.name}` | {s.type} | {default} | {s.help} |")
    return "\n".join(rows)
