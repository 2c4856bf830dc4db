"""``python -m hub.cli``: the same command line as ``iomhub``."""

from hub.cli import main

main()
