"""Codes of a visit's outcome and a purchase's channel, defined once for every module.

Core constants: :data:`OUTCOMES` (``SERVED``, ``BALKED``, ``RENEGED``, ``CLOSED``,
``STOCKOUT``) and :data:`CHANNELS` (``IN_STORE``, ``PICKUP``, ``DELIVERY``). They are plain
integers, so compiled kernels read them as constants.
"""

from __future__ import annotations

__all__ = ["BALKED", "CHANNELS", "CLOSED", "DELIVERY", "IN_STORE", "OUTCOMES", "PICKUP", "RENEGED", "SERVED",
           "STOCKOUT"]

#: What became of a visit: bought; left at the sight of the queue; gave up waiting; turned away
#: at closing time; found the shelf empty.
SERVED, BALKED, RENEGED, CLOSED, STOCKOUT = 0, 1, 2, 3, 4
OUTCOMES = ("served", "balked", "reneged", "closed", "stockout")

#: Channels of a purchase: a store visit (queues), a pick-up of an order made online
#: (no queue), a delivery home (no trip).
IN_STORE, PICKUP, DELIVERY = 0, 1, 2
CHANNELS = ("in_store", "pickup", "delivery")
