"""Governance: the DPO report, the agreement register and check, audit verify, retention, subject
access, re-identification.

Imports the shared core, the layers below the hub, and ``hub.run`` for the releases it reads
back and the agreements as publishing loads them; never ``hub.cli`` or ``hub.demo``.
"""
