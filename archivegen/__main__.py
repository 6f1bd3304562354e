"""``python -m archivegen`` runs the command line."""

from .cli import run

run()
