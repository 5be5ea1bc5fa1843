"""Roster files: read CSV and XLSX with a per-row, per-column report; write XLSX exports."""
