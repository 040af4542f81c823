"""What test modules share (one package): event builders, an in-process gateway, Docker images, a fake LLM, a
flaky HTTP server, the corpus sample the pattern checks read. Whole platforms are started by aegis/harness.py
through the start_platform fixture (conftest.py)."""
