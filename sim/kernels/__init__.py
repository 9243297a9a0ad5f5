"""Compiled passes over consumers and visits (numba), one per step of the day.

Modules:
    * :mod:`sim.kernels.decision` - the daily visit decision (utilities, logsums, draws).
    * :mod:`sim.kernels.arrivals` - trips' arrival, patience and service draws.
    * :mod:`sim.kernels.store_day` - the store day (queues, servers, balking, stock).
    * :mod:`sim.kernels.visit_outcome` - experience, reviews, shares, memory and waits.
    * :mod:`sim.kernels.slot_upkeep` - the night: forgetting, habit and social decay, lapsing coupons.
    * :mod:`sim.kernels.pairwise` - exact pairwise sums for the recorder.
    * :mod:`sim.kernels.cache` - keeps numba's on-disk cache true to the sources.
"""
