"""``python -m observatorio`` runs the command line."""

from observatorio.cli import app

app()
