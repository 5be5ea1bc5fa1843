"""``python -m notify.demo``: load the demo county's directory once."""

from notify.demo import main

main()
