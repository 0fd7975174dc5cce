"""The images the compose file names: local stand-ins for base images that cannot be pulled, and
the guardian image, built once for every service that uses it.

A stand-in is built from what this machine can reach: a Debian root filesystem made by mmdebstrap
from the machine's own apt sources (so no mirror is named here), plus Debian's Python, anvil's
binary from node_modules, or Debian's prometheus. It is tagged with the name the project's files
use and labelled `org.guardian-network.stand-in`, so nobody mistakes it for the real image.

The host's CA bundle reaches the guardian build as a build secret (pip behind a TLS-intercepting
proxy needs it); a secret is mounted for one RUN step and is in no layer of the image.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from node.compose.engine import Engine
from node.errors import NodeError
from node.toolchain import REPO_ROOT, tool_path

GUARDIAN_IMAGE = "guardian-network:local"
BASE_IMAGE = "localhost/guardian-network-standin/debian:bookworm"
STANDIN_LABEL = "org.guardian-network.stand-in"
SOURCE_LABEL = "org.guardian-network.source"
APT_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
GUARDIAN_SOURCES = ("pyproject.toml", "README.md", "protocol", "node", "docker/Dockerfile")


@dataclass(frozen=True)
class StandIn:
    """How to stand in for one base image."""

    name: str  # the name in the project's files
    what: str  # one line for the output
    containerfile: str  # FROM the Debian base
    files: tuple[tuple[Path, str], ...] = ()  # (host file, name in the build context)


def stand_ins() -> dict[str, StandIn]:
    """Stand-ins by the names the Dockerfile and the compose file use (docker.io names in full,
    as podman stores them)."""
    python = StandIn(
        "docker.io/library/python:3.11-slim-bookworm",
        "Debian bookworm's python3 (3.11) in a venv on PATH, like the python image's /usr/local",
        "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv "
        "python3-dev ca-certificates && rm -rf /var/lib/apt/lists/* "
        "&& python3 -m venv /opt/python\n"
        "ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        'CMD ["python3"]\n')
    anvil = StandIn(
        "ghcr.io/foundry-rs/foundry:v1.7.1",
        "anvil 1.7.1's binary from node_modules on a Debian base (no forge, cast or chisel)",
        "COPY anvil /usr/local/bin/anvil\n"
        'ENTRYPOINT ["anvil"]\n',
        ((tool_path("anvil"), "anvil"),))
    prometheus = StandIn(
        "docker.io/prom/prometheus:v2.42.0",
        "Debian bookworm's prometheus package (2.42) at /bin/prometheus",
        "RUN apt-get update && apt-get install -y --no-install-recommends prometheus "
        "&& rm -rf /var/lib/apt/lists/* && mkdir -p /prometheus && chown nobody /prometheus\n"
        "USER nobody\n"
        'ENTRYPOINT ["/bin/prometheus"]\n')
    return {s.name: s for s in (python, anvil, prometheus)}


def image_exists(engine: Engine, name: str) -> bool:
    return engine.run("image", "inspect", name, check=False).returncode == 0


def image_label(engine: Engine, name: str, label: str) -> str | None:
    proc = engine.run("image", "inspect", "--format", f'{{{{index .Labels "{label}"}}}}', name,
                      check=False)
    value = proc.stdout.strip() if proc.returncode == 0 else ""
    return value if value and value != "<no value>" else None


def dangling(engine: Engine) -> set[str]:
    out = engine.run("images", "-q", "--no-trunc", "--filter", "dangling=true").stdout
    return set(out.split())


def ensure_base_images(engine: Engine, names: list[str], *, pull: bool, say) -> list[str]:
    """Make every image in `names` present; returns the stand-ins it built."""
    built = []
    catalogue = stand_ins()
    for name in names:
        if image_exists(engine, name):
            if image_label(engine, name, STANDIN_LABEL):
                say(f"{name}: using the local STAND-IN built earlier "
                    f"({image_label(engine, name, STANDIN_LABEL)})")
            continue
        if pull and engine.run("pull", name, check=False, timeout=120).returncode == 0:
            say(f"{name}: pulled")
            continue
        if name not in catalogue:
            raise NodeError(f"{name} is not present, cannot be pulled, and has no stand-in")
        stand = catalogue[name]
        say(f"{name}: {'cannot be pulled' if pull else 'not present (pulling is off)'}; building "
            f"a local STAND-IN under that name: {stand.what}")
        _build_stand_in(engine, stand, say)
        built.append(name)
    return built


def _ensure_debian_base(engine: Engine, say) -> None:
    if image_exists(engine, BASE_IMAGE):
        return
    if not shutil.which("mmdebstrap") or not APT_SOURCES.exists():
        raise NodeError("building stand-in images needs mmdebstrap and "
                        f"{APT_SOURCES} (Debian's apt sources)")
    say(f"building {BASE_IMAGE}: Debian bookworm minbase root filesystem (mmdebstrap, the "
        "machine's own apt sources)")
    with tempfile.TemporaryDirectory(prefix="compose-check-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", "bookworm", str(rootfs),
                        str(APT_SOURCES)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, timeout=900)
        engine.run("import", "--change", f"LABEL {STANDIN_LABEL}=debian-bookworm-minbase",
                   str(rootfs), BASE_IMAGE, timeout=300)


def _build_stand_in(engine: Engine, stand: StandIn, say) -> None:
    _ensure_debian_base(engine, say)
    with tempfile.TemporaryDirectory(prefix="compose-check-") as tmp:
        context = Path(tmp)
        for src, dest in stand.files:
            shutil.copy2(src, context / dest)
        (context / "Containerfile").write_text(
            f"FROM {BASE_IMAGE}\nLABEL {STANDIN_LABEL}=\"{stand.what}\"\n{stand.containerfile}")
        build(engine, context, context / "Containerfile", stand.name)


def build(engine: Engine, context: Path, dockerfile: Path, tag: str, *,
          labels: dict[str, str] | None = None, secrets: dict[str, Path] | None = None) -> None:
    """One image build that leaves no intermediate images behind (podman: no layer cache)."""
    before = dangling(engine)
    args = ["build", "-f", str(dockerfile), "-t", tag]
    if engine.kind == "podman":
        args += ["--pull=never", "--layers=false"]
    for key, value in (labels or {}).items():
        args += ["--label", f"{key}={value}"]
    for key, path in (secrets or {}).items():
        args += ["--secret", f"id={key},src={path}"]
    engine.run(*args, str(context), timeout=1800)
    for image in dangling(engine) - before:  # only what this build left (a replaced tag)
        engine.run("rmi", image, check=False)


def guardian_source_hash(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for name in GUARDIAN_SOURCES:
        path = root / name
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for f in files:
            digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ensure_guardian_image(engine: Engine, *, say, root: Path = REPO_ROOT) -> bool:
    """Build guardian-network:local once (every service uses it), unless an image of the same
    sources exists. Returns whether it built."""
    source = guardian_source_hash(root)
    if image_label(engine, GUARDIAN_IMAGE, SOURCE_LABEL) == source:
        say(f"{GUARDIAN_IMAGE}: current (sources {source}); not rebuilt")
        return False
    secrets = {"ca": HOST_CA_BUNDLE} if HOST_CA_BUNDLE.exists() else {}
    say(f"{GUARDIAN_IMAGE}: building once for every service (sources {source}"
        + (f"; the host CA bundle {HOST_CA_BUNDLE} as build secret `ca`" if secrets else "")
        + ")")
    build(engine, root, root / "docker" / "Dockerfile", GUARDIAN_IMAGE,
          labels={SOURCE_LABEL: source}, secrets=secrets)
    return True
