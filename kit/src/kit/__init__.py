"""The shared kit."""
