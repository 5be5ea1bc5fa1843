"""The seeded rule documents (YAML): deputy points and township assessment, each value with its source."""
