"""Helpers shared by notify's tests, benches and demos (need the development dependencies)."""
