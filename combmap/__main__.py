"""`python -m combmap` runs the command-line interface."""

from combmap.cli import main

main()
