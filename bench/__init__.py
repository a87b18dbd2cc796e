"""Benchmarks and the process harness shared with the reliability drills."""
