"""Handlers: the consumers, the sender and the API's use cases."""
