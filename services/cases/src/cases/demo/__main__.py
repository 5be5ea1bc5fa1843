"""``python -m cases.demo``: load the demo county's year of cases once."""

from cases.demo import main

main()
