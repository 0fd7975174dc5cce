"""`guardian audit`: anyone checks a containment on their own node.

`transaction.py` reads and decodes the `authorize` transaction, `fetch.py` gets its evidence from
any guardian (`/evidence/<hash>`, checked against the hash the oracle recorded), `judge.py`
re-derives the digest from the chain and re-runs the guardians' own re-verification
(`node.verification.ReportVerifier`), `core.py` puts them together, `output.py` prints the verdict.
"""
