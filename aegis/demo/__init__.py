"""Demo targets: seed 000's calculator APIs and seed 001's buggy app, as tiny stdlib HTTP services."""
