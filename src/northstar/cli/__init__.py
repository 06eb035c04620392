"""The ``northstar`` command line (Typer + Rich)."""
