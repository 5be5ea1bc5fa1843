"""Notify's pure rules: routing, preferences and hours, delivery keys, retries, throttling, digests."""
