"""Pytest set-up for the cases tests; its folder holds the shared ``cases_harness`` module."""
