"""Run the command line with `python -m dailypapers`."""

from dailypapers.cli import main

main()
