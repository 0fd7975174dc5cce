"""The guardian daemon: trio services that watch, detect, gossip, co-sign, combine and submit."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("guardian-network")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
