"""Benchmarks: the platform's relay and consumer runner against raw aiokafka on the same broker."""
