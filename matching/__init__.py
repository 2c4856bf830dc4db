"""Matching: the same person linked across and within partners, conservatively, with ids that
last.

Modules, in the order a run uses them: :mod:`~matching.engine` (the SQL engine seam),
:mod:`~matching.standardise` (and :mod:`~matching.nicknames`), :mod:`~matching.model` (Splink
comparisons, blocking rules, the model file), :mod:`~matching.train`, :mod:`~matching.score`
(prediction and evidence), :mod:`~matching.guards` and :mod:`~matching.relations` (the rules that
stop false merges), :mod:`~matching.cluster`, :mod:`~matching.registry` (person ids, decisions),
:mod:`~matching.survivorship` (the person view's columns), :mod:`~matching.review`,
:mod:`~matching.report`, and :mod:`~matching.run`, which ties them together and writes the
files of :mod:`~matching.outputs`. Nothing here imports ``hub``.
"""
