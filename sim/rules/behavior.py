"""Pure, vectorised decision rules: utility of a visit, logit choice, satisfaction, reviews, shares.

Core functions:
    * :func:`expected_quality` - own memory if visited, else the public rating
      weighted by trust in reviews (prior 3 = "don't know").
    * :func:`doubt` - the penalty for an unfamiliar shop, resolved by reviews.
    * :func:`visit_utility` - V_ij = incentive + appeal - price premium + social
      proof + loyalty - travel - hassle - expected wait - doubt (docs/ODD.md).
    * :func:`visit_probability` - binary logit of visiting against the outside
      option, on the logsum (inclusive value) of the considered stores.
    * :func:`choose` - multinomial logit choice among stores by inverse CDF.
    * :func:`prompt_timing` - how much a message sent at an hour prompts a visit
      before the category's next peak.
    * :func:`satisfaction`, :func:`review_probability`, :func:`share_probability` (the
      rule of ``wom.posting: disconfirmation``).
    * :func:`value_gap` - how far below the category's usual price a purchase was paid.
    * :func:`satisfaction_class` and :func:`class_probability`, :func:`failed_stars` - who posts
      and shares by satisfaction class (``wom.posting: classes``; docs/ODD.md 7.14-7.15).

Everything takes and returns numpy arrays; nothing here draws random numbers
except through the uniforms it is given, so the functions are testable alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "FAILED",
    "SATISFACTION_CLASSES",
    "TICKET_SIGMA",
    "UtilityTerms",
    "class_probability",
    "failed_stars",
    "satisfaction_class",
    "value_gap",
    "choose",
    "ticket",
    "ticket_at_least",
    "doubt",
    "expected_quality",
    "logsum",
    "prompt_timing",
    "prompt_timing_at",
    "review_probability",
    "satisfaction",
    "share_probability",
    "visit_probability",
    "visit_utility",
]

NEUTRAL_STARS = 3.0

#: Log-normal sigma of a ticket around the store's average price (mean-preserving).
TICKET_SIGMA = 0.3

#: A visit's satisfaction class (docs/ODD.md 7.14), in order; failed visits (balked, reneged,
#: closed, stock-out) are a class of their own, whatever their satisfaction.
SATISFACTION_CLASSES = ("very_dissatisfied", "dissatisfied", "neutral", "satisfied", "very_satisfied",
                        "failed")
FAILED = SATISFACTION_CLASSES.index("failed")


def ticket(price: np.ndarray, z: np.ndarray, sigma: float = TICKET_SIGMA) -> np.ndarray:
    """A visit's ticket from a standard normal ``z``: log-normal around the store's average ``price``.

    Mean-preserving: the ticket's mean is ``price``.
    """
    return price * np.exp(sigma * z - sigma**2 / 2)


def ticket_at_least(min_spend: np.ndarray, price: np.ndarray, sigma: float = TICKET_SIGMA) -> np.ndarray:
    """P(ticket >= min_spend) for a log-normal ticket with mean ``price`` (1 where min_spend <= 0)."""
    from scipy.special import ndtr

    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(min_spend, 1e-12) / price) + sigma**2 / 2) / sigma
    return np.where(min_spend > 0, 1.0 - ndtr(z), 1.0)


@dataclass
class UtilityTerms:
    """Every term of the utility of visiting each (consumer, considered store), before summing.

    Arrays are (N, K) or broadcast to it ((N, 1) for consumer traits). Levers may
    change terms in their ``shape_choice`` hook - through :meth:`writable`, which
    gives a full (N, K) copy to modify - before :meth:`total` sums them with
    :func:`visit_utility`. Keeping the terms apart also lets the metrics tell
    which friction stopped a consumer.
    """

    asc: np.ndarray
    quality: np.ndarray
    social: np.ndarray
    habit: np.ndarray
    incentive_money: np.ndarray
    price_premium: np.ndarray
    prompt: np.ndarray
    travel_hours: np.ndarray
    travel_money: np.ndarray
    wait_min: np.ndarray
    hassle: np.ndarray
    doubt_utils: np.ndarray
    money_weight: np.ndarray
    value_of_time: np.ndarray
    available: np.ndarray
    extra: np.ndarray | float = 0.0
    distance_utils: np.ndarray | float = 0.0
    price: np.ndarray | float = 0.0
    reference_share: np.ndarray | float = 1.0
    loss_aversion: float = 0.0

    def travel_utils(self) -> np.ndarray:
        """Utility lost to the trip: its generalised cost plus any log-distance decay."""
        m = self.money_weight
        return m * (self.travel_money + self.value_of_time * self.travel_hours) + self.distance_utils

    def writable(self, name: str) -> np.ndarray:
        """The term as a full-size array of its own, ready to be modified in place."""
        value = getattr(self, name)
        full = np.array(np.broadcast_to(value, self.available.shape), dtype=np.result_type(value, np.float32))
        setattr(self, name, full)
        return full

    def total(self, beta_quality: float, price_weight: float, beta_social: float, beta_loyalty: float,
              wait_aversion: float) -> np.ndarray:
        """The summed utility (see :func:`visit_utility`)."""
        terms = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "available"}
        return visit_utility(**terms, beta_quality=beta_quality, price_weight=price_weight,
                             beta_social=beta_social, beta_loyalty=beta_loyalty,
                             wait_aversion=wait_aversion)


def expected_quality(memory: np.ndarray, rating: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Expected quality (1-5) of a store visit.

    Args:
        memory: remembered quality from own visits, NaN where never visited.
        rating: public rating of the store (1-5).
        trust: trust in reviews (0-1), broadcastable.

    Returns:
        ``memory`` where known, else ``trust * rating + (1 - trust) * 3``.
    """
    from_reviews = trust * rating + (1.0 - trust) * NEUTRAL_STARS
    return np.where(np.isnan(memory), from_reviews, memory)


def doubt(familiar: np.ndarray, trust: np.ndarray, review_count: np.ndarray,
          strength: float, confidence_n: float) -> np.ndarray:
    """Doubt penalty (utils) for a shop the consumer has never visited.

    Reading reviews resolves doubt in proportion to trust and to how many
    reviews exist: ``strength * (1 - trust * n / (n + confidence_n))``; zero once
    the consumer has been there.
    """
    resolved = trust * review_count / (review_count + confidence_n)
    return np.where(familiar, 0.0, strength * (1.0 - resolved))


def visit_utility(
    *,
    asc: np.ndarray,
    quality: np.ndarray,
    social: np.ndarray,
    habit: np.ndarray,
    incentive_money: np.ndarray,
    price_premium: np.ndarray,
    prompt: np.ndarray,
    travel_hours: np.ndarray,
    travel_money: np.ndarray,
    wait_min: np.ndarray,
    hassle: np.ndarray,
    doubt_utils: np.ndarray,
    extra: np.ndarray | float = 0.0,
    distance_utils: np.ndarray | float = 0.0,
    price: np.ndarray | float = 0.0,
    reference_share: np.ndarray | float = 1.0,
    loss_aversion: float = 0.0,
    money_weight: np.ndarray,
    value_of_time: np.ndarray,
    beta_quality: float,
    price_weight: float,
    beta_social: float,
    beta_loyalty: float,
    wait_aversion: float,
) -> np.ndarray:
    """Systematic utility of visiting each considered store (all arrays broadcast).

    ``V = m * incentive + prompt``                                 (incentive)
    ``  + asc + beta_quality * (quality - 3)``                     (appeal)
    ``  - m * price_weight * price_premium``                       (dearer than the category's usual)
    ``  + beta_social * social``                                   (social proof: friends' shares;
                                                                    the rating enters via quality)
    ``  + beta_loyalty * log(1 + habit)``                          (loyalty / habit)
    ``  - m * (travel_money + vot * travel_hours)``                (distance, travel time)
    ``  - distance_utils``                                         (log form: beta_d * ln(km))
    ``  - hassle``                                                 (booking hassle)
    ``  - m * vot * wait_aversion * wait_min / 60``                (expected wait)
    ``  - doubt``                                                  (unfamiliar shop)
    ``  + extra``                                                  (levers: e.g. other channels' value)
    ``  - m * price * loss_aversion * max(0, 1 - incentive / price - reference_share)``
                                                                   (paying above the share of the
                                                                    price remembered from a deal)

    with ``m`` the consumer's money weight (utils per currency unit) and
    ``vot`` the value of time (currency per hour).
    """
    m = money_weight
    return (
        m * incentive_money
        + prompt
        + asc
        + beta_quality * (quality - NEUTRAL_STARS)
        - m * price_weight * price_premium
        + beta_social * social
        + beta_loyalty * np.log1p(habit)
        - m * (travel_money + value_of_time * travel_hours)
        - distance_utils
        - hassle
        - m * value_of_time * wait_aversion * wait_min / 60.0
        - doubt_utils
        + extra
        - reference_loss(m, price, incentive_money, reference_share, loss_aversion)
    )


def reference_loss(money_weight, price, incentive_money, reference_share, loss_aversion):
    """Utility lost to paying more than the share of the price remembered from a deal (0 without one).

    ``m x price x loss_aversion x max(0, 1 - incentive / price - reference_share)``: the expected
    share paid today against the remembered one (:mod:`sim.world.reference_prices`); a
    reference share of 1 (no remembered deal) never loses.
    """
    if np.ndim(loss_aversion) == 0 and float(loss_aversion) == 0.0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = 1.0 - np.where(np.asarray(price) > 0, incentive_money / price, 0.0)
    return money_weight * price * loss_aversion * np.maximum(0.0, paid - reference_share)


def logsum(utility: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Inclusive value ``log sum_j exp(V_j)`` over available alternatives (-inf if none)."""
    v = np.where(available, utility, -np.inf)
    top = v.max(axis=1, keepdims=True)
    safe = np.where(np.isfinite(top), top, 0.0)
    total = np.exp(v - safe).sum(axis=1)
    with np.errstate(divide="ignore"):
        return np.log(total) + safe[:, 0]


def visit_probability(inclusive: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """P(visit some store today) = 1 / (1 + exp(outside - inclusive)); 0 with no store."""
    with np.errstate(over="ignore"):
        return np.where(np.isfinite(inclusive), 1.0 / (1.0 + np.exp(outside - inclusive)), 0.0)


def choose(utility: np.ndarray, available: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Multinomial logit choice among available columns by inverse CDF.

    Args:
        utility: (M, K) utilities.
        available: (M, K) mask; every row must have at least one True.
        u: (M,) uniforms in [0, 1).

    Returns:
        (M,) chosen column per row.
    """
    v = np.where(available, utility, -np.inf)
    w = np.exp(v - v.max(axis=1, keepdims=True))
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    pick = (cdf <= u[:, None]).sum(axis=1)  # <=: u = 0 must skip leading unavailable columns
    return np.minimum(pick, utility.shape[1] - 1)


def prompt_timing(send_hour: float, peaks: tuple[float, ...], window_h: float, decay_h: float) -> float:
    """Context factor in [0, 1] of a message sent at ``send_hour`` (a recipient next door).

    A message lands best ``window_h`` hours before one of the category's peaks
    (e.g. 1-2 h before meal time); the factor falls off exponentially, with
    scale ``decay_h``, as the lead time departs from that window. Messages
    after the day's last peak score 0 for today. :func:`prompt_timing_at` with no travel.
    """
    return float(prompt_timing_at(send_hour, peaks, window_h, decay_h, np.zeros(1))[0])


def prompt_timing_at(send_hour: float, peaks: tuple[float, ...], window_h: float, decay_h: float,
                     travel_h: np.ndarray) -> np.ndarray:
    """:func:`prompt_timing` for recipients ``travel_h`` hours (one way) from the featured store.

    To be there at a peak a recipient leaves ``travel_h`` earlier, so the best lead of a
    message before the peak is ``window_h + travel_h``: a push an hour before lunch prompts a
    neighbour, not someone half an hour's ride away.

    Args:
        send_hour: the hour the message is sent.
        peaks: the category's peak hours.
        window_h: the best lead before a peak for a recipient next door (hours).
        decay_h: how fast the factor falls off that lead (hours).
        travel_h: (M,) each recipient's one-way travel time to the store (hours).

    Returns:
        (M,) factors in [0, 1]; 0 after the day's last peak.
    """
    best = window_h + np.asarray(travel_h, dtype=np.float64)
    out = np.zeros(best.shape)
    for p in peaks:
        lead = p - send_hour
        if lead >= 0:
            np.maximum(out, np.exp(-np.abs(lead - best) / decay_h), out=out)
    return out


def satisfaction(experienced: np.ndarray, expected: np.ndarray, value_gap: np.ndarray | float = 0.0,
                 price_weight: float = 0.0, deal: np.ndarray | float = 0.0,
                 deal_weight: float = 0.0) -> np.ndarray:
    """Satisfaction (stars): expectation disconfirmation plus perceived value.

    ``experienced - expected`` (Oliver 1980), plus ``price_weight`` stars per unit of
    :func:`value_gap` (a discount raises perceived value; a dear store lowers it: Zeithaml 1988),
    plus ``deal_weight`` times ``deal`` - the consumer's deal proneness where a coupon or deal was
    used, else 0 - for the pleasure of the deal itself (Chandon, Wansink & Laurent 2000).
    With both weights 0 it is the disconfirmation alone.
    """
    return experienced - expected + price_weight * value_gap + deal_weight * deal


def value_gap(ticket: np.ndarray, discount: np.ndarray, price_ratio: np.ndarray) -> np.ndarray:
    """How far below the category's usual price a purchase was paid, as a fraction.

    ``1 - price_ratio x (ticket - discount) / ticket`` with ``price_ratio`` the store's average
    ticket over its category's usual price: 0 at a usual-priced store without discount, 0.2 with
    a 20% coupon there, -0.3 at a store 30% dearer than usual without one.
    """
    return 1.0 - price_ratio * ((ticket - discount) / ticket)


def satisfaction_class(s: np.ndarray, served: np.ndarray, neutral_band: float,
                       extreme_band: float) -> np.ndarray:
    """Each visit's index in :data:`SATISFACTION_CLASSES`.

    ``s <= -extreme_band``: very dissatisfied; ``<= -neutral_band``: dissatisfied; ``< neutral_band``:
    neutral; ``< extreme_band``: satisfied; else very satisfied. Failed visits: :data:`FAILED`.
    """
    bands = [s <= -extreme_band, s <= -neutral_band, s < neutral_band, s < extreme_band]
    k = np.select(bands, [0, 1, 2, 3], 4)
    return np.where(served, k, FAILED).astype(np.int8)


def class_probability(propensity: np.ndarray, klass: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """P(post) by satisfaction class: ``propensity x factors[class]``, capped at 1.

    ``factors``: one per :data:`SATISFACTION_CLASSES`. Posting propensity that is high at both
    extremes and higher for the dissatisfied is Anderson's (1998) asymmetric U; under-reporting of
    moderate experiences is the mechanism of Hu, Pavlou & Zhang's (2009) J-shaped review distributions.
    """
    return np.clip(propensity * np.asarray(factors)[klass], 0.0, 1.0)


def failed_stars(mean: float, sd: float, z: np.ndarray) -> np.ndarray:
    """Review stars of failed visits: ``mean + sd x z`` rounded half to even, within 1-5."""
    return np.clip(np.rint(mean + sd * z), 1.0, 5.0)


def review_probability(propensity: np.ndarray, disconfirmation: np.ndarray,
                       base: float, slope: float) -> np.ndarray:
    """P(post a review): propensity * (base + slope * |disconfirmation|), capped at 1.

    Extreme experiences, good or bad, are reviewed more often (the J-shaped
    distribution of online reviews).
    """
    return np.clip(propensity * (base + slope * np.abs(disconfirmation)), 0.0, 1.0)


def share_probability(propensity: np.ndarray, disconfirmation: np.ndarray,
                      scale: float, negative_factor: float) -> np.ndarray:
    """P(share the experience with friends).

    Rises with how far the visit beat (or missed) expectations, saturating at
    ``|s| = scale``; disappointed customers share less willingly
    (``negative_factor``), which weakens the loop after bad visits.
    """
    strength = np.minimum(np.abs(disconfirmation) / scale, 1.0)
    valence = np.where(disconfirmation >= 0, 1.0, negative_factor)
    return np.clip(propensity * strength * valence, 0.0, 1.0)
