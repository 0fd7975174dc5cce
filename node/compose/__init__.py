"""`scripts/compose-check`: run docker/docker-compose.yml for real and check that it contains the
exploit, then remove everything it created except the project's images.

    engine.py   which container engine answers (Docker, else rootful podman), installing it
    images.py   local stand-ins for base images that cannot be pulled; the guardian image, built once
    run.py      compose up, the attacker's result, the oracle's event, Prometheus' targets, teardown
    check.py    the command: the steps above in order, timed
"""
