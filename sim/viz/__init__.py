"""The browser dashboard: O2O versus OMO, live (Mesa SolaraViz).

Core modules:
    * :mod:`sim.viz.journey` - journey stages read from model state, and the day tap.
    * :mod:`sim.viz.model` - :class:`~sim.viz.model.DashboardModel`, the arms stepped together.
    * :mod:`sim.viz.layers` - what the map and the network panel show, as arrays.
    * :mod:`sim.viz.drawing` - the matplotlib figures.
    * :mod:`sim.viz.app` - the Solara page (``Page``) and its error boundary (``Layout``).
    * :mod:`sim.viz.assets` - Solara's front-end files, served read-only from ``solara-assets``.
    * :mod:`sim.viz.memory` - a closed session's memory given back to the operating system.
    * :mod:`sim.viz.server` - ``o2o-dashboard``: serve it, offline.
    * :mod:`sim.viz.browser` - drive the served page in Debian's chromium (the tests).

Needs the ``viz`` extra (``pip install -e ".[viz]"``). Documented in docs/DASHBOARD.md.
"""
