"""Studies made of many runs: sweeps, comparisons, reports, research and validation.

Modules:
    * :mod:`sim.studies.sweeps` - a grid of runs, resumable, and its summary tables.
    * :mod:`sim.studies.catalogue` - every run and sweep as one dataset.
    * :mod:`sim.studies.compare` - two arms on paired seeds, money ratios from totals.
    * :mod:`sim.studies.verdict` - the comparison in plain words.
    * :mod:`sim.studies.report` - the comparison's figures and page.
    * :mod:`sim.studies.research` - sensitivity, optimisation and calibration.
    * :mod:`sim.studies.validation` - docking and stylised facts against published results.
"""
