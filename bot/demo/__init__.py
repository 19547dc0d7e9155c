"""Demo data: the one generator of realistic revenue histories (tests, the sandbox, benchmarks)."""
