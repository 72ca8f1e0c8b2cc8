"""Run the command line as `python -m dailypapers.cli`."""

from dailypapers.cli import main

main()
