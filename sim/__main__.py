"""``python -m sim`` runs the command line (see :mod:`sim.cli`, its :func:`~sim.cli.entry`)."""

from sim.cli import entry

entry()
