"""The read side: case records masked by role, lists, timelines, duplicates, statistics."""
