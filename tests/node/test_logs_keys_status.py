"""Keys never reach the logs; secret files are owner-only; the status server answers and
survives garbage."""

from __future__ import annotations

import io
import json
import logging

import pytest
import trio

from node.keys import KeyFileError, read_submitter_key, write_secret_file
from node.logs import redact, setup_logging
from node.metrics import Metrics
from node.status_server import StatusServer

SECRET = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_redaction_masks_keys_and_secret_fields():
    assert SECRET not in redact(f"loaded key 0x{SECRET} ok")
    assert SECRET not in redact(f"raw {SECRET}")
    assert "hunter2" not in redact("passphrase=hunter2 and password: hunter2")
    assert "0x1234abcd" in redact("digest 0x1234abcd...")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logger_never_writes_a_secret(fmt):
    stream = io.StringIO()
    setup_logging("g1", fmt, "debug", stream=stream)
    log = logging.getLogger("guardian.test")
    log.info("submitter key %s", "0x" + SECRET)
    try:
        raise ValueError(f"bad key {SECRET}")
    except ValueError:
        log.exception("failure")
    out = stream.getvalue()
    assert SECRET not in out and "<redacted>" in out
    if fmt == "json":
        first = json.loads(out.splitlines()[0])
        assert first["node"] == "g1" and first["level"] == "info"


def test_secret_files(tmp_path):
    path = tmp_path / "a" / "submitter.key"
    write_secret_file(path, SECRET.encode())
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert read_submitter_key(path) == bytes.fromhex(SECRET)
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        write_secret_file(path, b"x")
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        read_submitter_key(path)
    path.chmod(0o600)
    path.write_text("not hex")
    with pytest.raises(KeyFileError, match="hex private key"):
        read_submitter_key(path)


async def _get(port: int, request: bytes) -> bytes:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(request)
    data = b""
    while chunk := await stream.receive_some(65536):
        data += chunk
    await stream.aclose()
    return data


async def test_status_server_routes_and_garbage():
    metrics = Metrics()
    metrics.message_in("share")
    server = StatusServer("127.0.0.1", 0, lambda: {"guardian": 3, "ready": True}, metrics.render)
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            port = await nursery.start(server.run)
            status = await _get(port, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in status and json.loads(status.split(b"\r\n\r\n", 1)[1])["guardian"] == 3
            body = await _get(port, b"GET /metrics HTTP/1.1\r\n\r\n")
            assert b'guardian_messages_in_total{type="share"} 1.0' in body
            assert b"404" in await _get(port, b"GET /nope HTTP/1.1\r\n\r\n")
            assert b"405" in await _get(port, b"POST /status HTTP/1.1\r\n\r\n")
            assert b"400" in await _get(port, b"\x00" * 9000)
            # still serving after all that
            assert b"200 OK" in await _get(port, b"GET /status HTTP/1.1\r\n\r\n")
            nursery.cancel_scope.cancel()
