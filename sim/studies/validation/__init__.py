"""Validation: docking to known models and calibration to measured O2O data.

Modules:
    * :mod:`sim.studies.validation.bass` - the Bass diffusion model (closed form, the
      discrete recursion, fitting p and q) and the engine's Bass reduction.
    * :mod:`sim.studies.validation.huff` - Huff's gravity model of store choice and the
      chi-square test of the engine's store shares against it.
    * :mod:`sim.studies.validation.tianchi` - the published moments of the Alibaba
      Tianchi O2O coupon data and how a run's coupons are measured against them.
    * :mod:`sim.studies.validation.facts` - the stylized facts of the domain as paired
      comparisons over seeds.
    * :mod:`sim.studies.validation.wom` - word of mouth: degree-normalised diffusion on networks
      against complete mixing (and the complete graph against Bass), and the share of purchases
      it causes against the published share of sales.

Every function takes validated :class:`~sim.config.SimConfig` objects; composing
them from scenario files is the caller's job (``sim.config.compose.load_config``).
"""
