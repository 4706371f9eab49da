"""`python -m cppcc_watch` runs the command line."""

from cppcc_watch.cli import main

main()
