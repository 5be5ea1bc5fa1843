"""The cases domain: the case state machine, its clocks and chasing, free of frameworks."""
