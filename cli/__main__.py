"""`python -m cli …`, as `casework …` is installed."""

from cli.main import app

app()
