"""Cases service: suggestions, opinions and supervision topics, from intake to closure on time."""
