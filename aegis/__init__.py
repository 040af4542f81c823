"""AegisOps runtime: the `aegis` command line, the embedded nats-server, the process supervisor, demo targets."""

from shared.version import __version__  # noqa: F401 - `aegis --version` and old imports read it here
