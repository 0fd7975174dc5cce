"""`guardian explorer`: a read-only, no-login incident explorer for anyone.

It reads only public sources: the chain (the oracle's registry and its ContainmentEngaged events,
through `node.chain`) and the guardians' status servers (`/status`, `/evidence`). `registry.py`
and `containments.py` read the chain, `guardians.py` the guardians, `incidents.py` builds each
incident's timeline, `snapshot.py` refreshes all of it, `page.py` renders server-side HTML
(`plot.py`: the only script, the timeline plot), `server.py` serves it.
"""
