"""Demo targets: the monitor contract's calculator APIs and the Core API contract's buggy app, as tiny stdlib
HTTP services."""
