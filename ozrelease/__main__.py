"""`python -m ozrelease`: the same entry point as the `ozrelease` console script."""

from ozrelease.cli import main

main()
