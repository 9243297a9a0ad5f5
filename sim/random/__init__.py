"""Random numbers: one named stream per purpose, keyed by the run's seed.

Modules:
    * :mod:`sim.random.streams` - :class:`~sim.random.streams.Streams`: named sequential and
      counter-based streams, one per (seed, name, step).
    * :mod:`sim.random.keyed` - counter-based draws: a consumer's uniform, normal or gamma
      depends only on (key, consumer) (common random numbers across scenarios).
    * :mod:`sim.random.pcg` - the PCG64 steps the streams are built from.
"""
