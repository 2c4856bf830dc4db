"""Governance: the DPO report, the agreement register, retention, subject access, re-identification.

Imports the shared core, the layers below the hub, and ``hub.run`` for the releases it reads
back; never ``hub.cli`` or ``hub.demo``.
"""
