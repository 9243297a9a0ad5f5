"""What a run produces: the day recorder, the money ledgers, results, figures and files.

Modules:
    * :mod:`sim.outputs.recorder` - funnel counts, sources and waits, day by day.
    * :mod:`sim.outputs.ledger` - the P&L per store, party and day.
    * :mod:`sim.outputs.coupon_ledger` - every coupon claimed and redeemed.
    * :mod:`sim.outputs.results` - :class:`~sim.outputs.results.Results`: tables, summary, saving.
    * :mod:`sim.outputs.files` - atomic writes and figure saving.
    * :mod:`sim.outputs.plots`, :mod:`sim.outputs.html_report` - figures and the run's page.
    * :mod:`sim.outputs.story` - the run in plain sentences.
    * :mod:`sim.outputs.run_folder` - a run folder's status, checksums and locks.
    * :mod:`sim.outputs.provenance` - what produced a result (version, commit, config).
"""
