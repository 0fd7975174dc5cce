"""The Guardian Network rules as an executable specification.

Pure functions and frozen dataclasses only: nothing in this package performs I/O or imports trio,
web3 or libp2p. `node` imports `protocol`, never the reverse.
"""

PROTOCOL_VERSION = 1
