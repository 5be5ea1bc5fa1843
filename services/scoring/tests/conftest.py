"""Pytest set-up for the scoring tests; its folder holds the shared ``scoring_harness`` module."""
