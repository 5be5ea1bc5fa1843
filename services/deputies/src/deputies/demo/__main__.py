"""``python -m deputies.demo``: load the demo county once."""

from deputies.demo import main

main()
