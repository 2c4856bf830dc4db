"""The IOM cohort: which people the scheme's rules put forward, in which strand, and why.

Fixed, flex and free are the three cohorts of the 2021 Home Office IOM strategy; a scheme's
rules are data (``cohort.yaml``, :mod:`hub.cohort.rules`), read against the matched person view
and the police offences feed, weighted by a published crime severity index
(:mod:`hub.cohort.severity`). :mod:`hub.cohort.inputs` gathers what the rules may read (only
values the IOM team's agreements in force give it); :mod:`hub.cohort.candidates` applies the
rules and says, for each person put forward or left out, which rule and which values decided.

This room may import the shared core of ``hub`` and ``hub.run``, and the layers below ``hub``;
no other room.
"""
