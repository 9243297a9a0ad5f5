"""The behavioural rules, written once in readable numpy: the reference the kernels are tested against.

Modules:
    * :mod:`sim.rules.behavior` - utility terms, choice, expectation, experience, reviews,
      shares, forgetting, tickets.
    * :mod:`sim.rules.redemption` - a held coupon's validity, minimum spend and discount.
    * :mod:`sim.rules.basket` - baskets topped up to a coupon's minimum spend.
    * :mod:`sim.rules.codes` - visit outcome and channel codes, defined once.
"""
