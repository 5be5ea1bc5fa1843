"""Chinese message templates per event type and channel, their rendering and sample payloads."""
