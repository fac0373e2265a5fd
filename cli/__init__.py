"""The `casework` command: the program's entry point (`cli.main`)."""
