"""The `hydock` command line: click commands that translate flags into Engine API calls to hydockd."""
