"""The hub: the service layer over connectors, schemas, matching and sharing agreements.

The shared core sits here (``config``, ``sharing_config``, ``workspace``, ``state``, ``settings``,
``keys``, ``audit``, ``audit_events``, ``output``, ``errors``) and imports no room. The rooms:
``cli`` (commands), ``run`` (pipeline stages), ``governance`` (DPO, retention, subject access,
re-identification) and ``demo`` (synthetic partners and example config).
"""
