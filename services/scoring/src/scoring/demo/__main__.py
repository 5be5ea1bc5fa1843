"""``python -m scoring.demo``: adopt the demo county's rule set for this year once."""

from scoring.demo import main

main()
