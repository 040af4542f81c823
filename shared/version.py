"""The AegisOps version: one place, read by the CLI, the gateway and the services."""

__version__ = "2.0.0"
