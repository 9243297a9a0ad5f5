"""The browser dashboard: lessons for a class, copies of one city side by side (Solara).

Core modules:
    * :mod:`sim.viz.settings` - :class:`~sim.viz.settings.Settings`, what a class can set, in class units.
    * :mod:`sim.viz.lessons` - the lessons: their cities, guide, question and charts.
    * :mod:`sim.viz.journey` - journey stages read from model state, and the day tap.
    * :mod:`sim.viz.money` - the brand's profit items, read from the engine's P&L ledger.
    * :mod:`sim.viz.model` - :class:`~sim.viz.model.DashboardModel`, a lesson's cities stepped together.
    * :mod:`sim.viz.layers`, :mod:`sim.viz.mapview` - what the maps show, and the map as a chart option.
    * :mod:`sim.viz.charts` - the story charts and the money chart.
    * :mod:`sim.viz.echart` - the chart widget (ECharts from the locally served front-end files).
    * :mod:`sim.viz.inside` - look inside a consumer or a store.
    * :mod:`sim.viz.guide` - the guide, the question and the map's key.
    * :mod:`sim.viz.drawing`, :mod:`sim.viz.export` - the export's figures, and the export.
    * :mod:`sim.viz.panels`, :mod:`sim.viz.style`, :mod:`sim.viz.app` - the page (``Page``), its parts,
      its layout and its error boundary (``Layout``).
    * :mod:`sim.viz.assets` - Solara's front-end files, served read-only from ``solara-assets``.
    * :mod:`sim.viz.memory` - a closed session's memory given back to the operating system.
    * :mod:`sim.viz.server` - ``o2o-dashboard``: serve it, offline.
    * :mod:`sim.viz.browser` - drive the served page in Debian's chromium (the tests).

Needs the ``viz`` extra (``pip install -e ".[viz]"``). Documented in docs/DASHBOARD.md.
"""
