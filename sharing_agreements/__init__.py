"""Sharing agreements: what may leave the hub, to whom, from which partner, and how treated.

The layer reads agreement files (:mod:`.load`), decides per recipient, field and partner what
flows and why (:mod:`.policy`), derives per-recipient pseudonym keys (:mod:`.pseudonyms`), applies
the treatments (:mod:`.treatments`, one class each) to the unified person view
(:mod:`.view_builder`) and checks a release before it goes anywhere (:mod:`.checks`). It never
imports ``hub``: writing and delivering releases is the hub's job.
"""
