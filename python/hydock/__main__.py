"""`python -m hydock` is the `hydock` command."""

from hydock.cli.main import main

main()
