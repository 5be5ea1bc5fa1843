"""Printable documents (GB/T 9704 layout) and Excel exports."""
