"""AegisOps runtime: the `aegis` command line, the embedded nats-server, the process supervisor, demo targets."""

__version__ = "2.0.0"
