"""The engine: the Mesa model, the day plan, the SimPy store day and the runner.

Modules:
    * :mod:`sim.engine.model` - :class:`~sim.engine.model.O2OModel`, one step per day.
    * :mod:`sim.engine.service` - the SimPy store day (the reference and the event log).
    * :mod:`sim.engine.runner` - :func:`~sim.engine.runner.run`: a config in, results out.
"""
