"""The demo county 青山县 (990101): one year of work loaded through the platform's public APIs.

``python -m county`` (``./dev run`` calls it once the four services answer) registers the
townships, stations and rosters in deputies, the handling units in cases and notify's directory,
logs the year's activities and manuscripts, files and handles the year's suggestions and opinions
day by day, waits until scoring and notify have consumed everything and prints a summary. What
scoring and notify hold comes only from the events; nothing is written into a database directly.
"""
