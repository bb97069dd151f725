"""The HTTP API, the web pages and the command line of orggraph."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orggraph")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
