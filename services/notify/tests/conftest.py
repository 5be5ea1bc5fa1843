"""Pytest set-up for the notify tests; its folder holds the shared ``notify_harness`` module."""
