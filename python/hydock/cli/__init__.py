"""The `hydock` command line: click commands that translate flags into engine calls."""
