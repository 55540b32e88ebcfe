"""The ``guides`` command line: :mod:`guidesrc.cli.root` holds the group and its lazy command
table, each other module one command group."""

from guidesrc.cli.root import cli, main

__all__ = ["cli", "main"]
