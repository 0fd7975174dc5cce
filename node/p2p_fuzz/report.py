"""What a fuzzing run found: per protocol, frames sent, resets, connection losses and crashes,
each crash with the frame (seed, generator, index) that caused it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class CrashReport:
    protocol: str
    generator: str
    seed: int
    index: int
    frame_len: int
    frame_head: str  # first 48 bytes, hex
    exc_type: str = "?"
    message: str = ""
    raised_at: str = "?"
    escapes_at: str = "?"
    frames: list[str] = field(default_factory=list)
    observed: str = ""  # how it showed from the network side


@dataclass
class ProtocolReport:
    protocol: str
    negotiated: bool = True
    frames_sent: int = 0
    frames_skipped: int = 0
    stream_resets: int = 0
    connection_losses: int = 0
    slow_frames: int = 0  # handler still busy after the wait
    max_handle_seconds: float = 0.0
    crashes: list[CrashReport] = field(default_factory=list)
    alive_after: bool | None = None
    services_after: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    by_generator: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def frames_per_second(self) -> float:
        return self.frames_sent / self.seconds if self.seconds else 0.0


@dataclass
class FuzzReport:
    target: str
    seed: int
    frames_per_protocol: int
    protocols: dict[str, ProtocolReport] = field(default_factory=dict)
    target_protocols: list[str] = field(default_factory=list)
    restarts: int = 0

    @property
    def crashes(self) -> list[CrashReport]:
        return [c for p in self.protocols.values() for c in p.crashes]

    def crash_classes(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in self.crashes:
            key = f"{c.protocol} | {c.exc_type} @ {c.raised_at}"
            entry = out.setdefault(key, {"protocol": c.protocol, "exc_type": c.exc_type,
                                         "raised_at": c.raised_at, "escapes_at": c.escapes_at,
                                         "frames": c.frames, "count": 0, "generators": {},
                                         "example": asdict(c)})
            entry["count"] += 1
            entry["generators"][c.generator] = entry["generators"].get(c.generator, 0) + 1
        return out

    def to_json(self) -> dict:
        total = sum(p.frames_sent for p in self.protocols.values())
        seconds = sum(p.seconds for p in self.protocols.values())
        return {
            "target": self.target, "seed": self.seed,
            "frames_per_protocol": self.frames_per_protocol,
            "target_protocols": self.target_protocols, "restarts": self.restarts,
            "frames_sent": total, "frames_per_second": round(total / seconds, 1) if seconds else 0,
            "crashes": len(self.crashes),
            "protocols": {
                name: {k: v for k, v in asdict(p).items() if k != "crashes"} | {
                    "crashes": len(p.crashes),
                    "frames_per_second": round(p.frames_per_second, 1)}
                for name, p in self.protocols.items()},
            "crash_classes": self.crash_classes(),
        }
