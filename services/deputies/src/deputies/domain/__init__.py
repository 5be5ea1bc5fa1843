"""The deputies domain: pure Python, no framework imports."""
