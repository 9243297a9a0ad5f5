"""What levers see of the day's utility: terms built only when read, rewrites kept.

Core object: :class:`ShapedTerms` - handed to every lever's ``shape_choice``
hook. ``writable(name)`` gives a full (N, K) array of any term of
:class:`~sim.rules.behavior.UtilityTerms` to modify in place. The terms the compiled
decision takes rewritten (:data:`FAST`: ``incentive_money``, ``wait_min``,
``hassle``, ``extra``, ``available``) cost only their own array; rewriting any
other term, or reading one, builds the day's full terms once, and the day is
then decided from them (:func:`sim.kernels.decision.from_terms`). ``add_bonus(consumers,
money)`` adds money off at some stores for a group of consumers (members' points, VIP
discounts) without building any (N, K) array: the compiled decision adds it slot by slot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.rules.behavior import UtilityTerms

__all__ = ["FAST", "ShapedTerms"]

#: Terms the compiled decision (:mod:`sim.kernels.decision`) takes rewritten.
FAST = ("incentive_money", "wait_min", "hassle", "extra", "available")


class ShapedTerms:
    """The day's utility terms as levers see them (see module docstring).

    Args:
        build: builds the day's full :class:`~sim.rules.behavior.UtilityTerms` (called at most once).
        base: for each rewritable term, a function giving its value before any rewrite.
        slot_store: (N, K) store id in each slot (-1 = empty).
        nest_gain: the day's channel nest's gain at every slot from the full terms
            (:func:`sim.rules.channels.nest_extra`), added to ``extra`` when they are built;
            ``None`` without a nest.
    """

    def __init__(self, build: Callable[[], UtilityTerms], base: dict[str, Callable[[], np.ndarray]],
                 slot_store: np.ndarray, nest_gain: Callable[[UtilityTerms], np.ndarray] | None = None):
        self._build, self._base, self._slot_store = build, base, slot_store
        self._shape = slot_store.shape
        self._nest_gain = nest_gain
        #: the full terms were built and hold the channel nest's gain (the compiled pass must not add it)
        self.nest_in_terms = False
        self._terms: UtilityTerms | None = None
        self.rewritten: dict[str, np.ndarray] = {}
        #: money off added at some stores for some consumers: ``(consumers (N,) bool, money (S,))``
        self.bonuses: list[tuple[np.ndarray, np.ndarray]] = []
        self._bonused = False  # the full terms hold the bonuses

    @property
    def terms(self) -> UtilityTerms:
        """The full terms, with today's rewrites applied."""
        if self._terms is None:
            self._terms = self._build()
        for name, value in self.rewritten.items():
            setattr(self._terms, name, value)
        if self.bonuses and not self._bonused:  # added once, after any rewrite of the incentive
            self.rewritten["incentive_money"] = self._terms.incentive_money = (
                self._terms.incentive_money + self.bonus_money())
            self.bonuses, self._bonused = [], True
        if self._nest_gain is not None and not self.nest_in_terms:
            self.rewritten["extra"] = self._terms.extra = self._terms.extra + self._nest_gain(self._terms)
            self.nest_in_terms = True
        return self._terms

    def add_bonus(self, consumers: np.ndarray, money: np.ndarray) -> None:
        """Add ``money[store]`` to the incentive of ``consumers``' slots holding each store.

        Args:
            consumers: (N,) bool, who sees the bonus.
            money: (S,) money off per store (0 where there is none).
        """
        if self._bonused:
            raise ValueError("add_bonus after the full terms were built: add bonuses before reading terms")
        self.bonuses.append((np.ascontiguousarray(consumers, dtype=np.bool_),
                             np.ascontiguousarray(money, dtype=np.float64)))

    def bonus_money(self) -> np.ndarray:
        """(N, K) the bonuses' money at every slot (the reference of the compiled pass's sum)."""
        total = np.zeros(self._shape)
        for consumers, money in self.bonuses:
            total += np.where(consumers[:, None], money[np.maximum(self._slot_store, 0)], 0.0)
        return total

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.rewritten:
            return self.rewritten[name]
        return getattr(self.terms, name)

    def travel_utils(self) -> np.ndarray:
        """Utility lost to the trip (see :meth:`~sim.rules.behavior.UtilityTerms.travel_utils`)."""
        return self.terms.travel_utils()

    @property
    def fast(self) -> bool:
        """Only terms the compiled decision takes rewritten were rewritten."""
        return all(name in FAST for name in self.rewritten)

    def writable(self, name: str) -> np.ndarray:
        """The term as a full (N, K) array of its own (float64, bool for ``available``), to modify in place.

        Raises:
            ValueError: for a name that is not a term.
        """
        if name not in self.rewritten:
            if name in FAST:
                value = self._base[name]()
                dtype = bool if name == "available" else np.float64
                self.rewritten[name] = np.array(np.broadcast_to(value, self._shape), dtype=dtype)
            elif name in UtilityTerms.__dataclass_fields__:
                self.rewritten[name] = self.terms.writable(name)
            else:
                raise ValueError(f"shape_choice may rewrite a term of UtilityTerms "
                                 f"({', '.join(UtilityTerms.__dataclass_fields__)}); got {name!r}")
        return self.rewritten[name]
