"""What levers see of the day's utility: terms built only when read, rewrites kept.

Core object: :class:`ShapedTerms` - handed to every lever's ``shape_choice``
hook. ``writable(name)`` gives a full (N, K) array of any term of
:class:`~sim.rules.behavior.UtilityTerms` to modify in place. The terms the compiled
decision takes rewritten (:data:`FAST`: ``incentive_money``, ``wait_min``,
``hassle``, ``extra``, ``available``) cost only their own array; rewriting any
other term, or reading one, builds the day's full terms once, and the day is
then decided from them (:func:`sim.kernels.decision.from_terms`).
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
        shape: (N, K).
    """

    def __init__(self, build: Callable[[], UtilityTerms], base: dict[str, Callable[[], np.ndarray]],
                 shape: tuple[int, int]):
        self._build, self._base, self._shape = build, base, shape
        self._terms: UtilityTerms | None = None
        self.rewritten: dict[str, np.ndarray] = {}

    @property
    def terms(self) -> UtilityTerms:
        """The full terms, with today's rewrites applied."""
        if self._terms is None:
            self._terms = self._build()
        for name, value in self.rewritten.items():
            setattr(self._terms, name, value)
        return self._terms

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
