"""Platform event contract."""
