"""Research workflows on top of the sweep machinery.

Modules (one concept each):
    * :mod:`sim.studies.research.spec` - parameter ranges and study blocks checked against the config schema.
    * :mod:`sim.studies.research.sensitivity` - global sensitivity analysis (Sobol, Morris with SALib):
      design, runs as ordinary sweep jobs, indices with confidence intervals and a figure.
    * :mod:`sim.studies.research.optimize` - campaign optimisation with the Optuna sweeper: one trial
      evaluated on common seeds, a budget split across levers, a spend constraint, the report.
    * :mod:`sim.studies.research.calibrate` - simulated method of moments against target moments in a
      data file, with the fit and its uncertainty.

No Hydra here: :mod:`sim.cli` hands these plain dicts and override strings.
"""
