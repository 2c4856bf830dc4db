"""The hub: the service layer over connectors, schemas, matching and sharing agreements.

The shared core sits here and imports no room: configuration (``config``, ``config_schema``,
``sharing_config``, ``web_config``, ``alerts_config``), ``settings`` and ``keys``, ``workspace``
and ``state``, the ``audit`` package (log, events, chain, anchors), ``accounts``, ``output``,
``logs``, ``interrupts`` and ``errors``. The rooms: ``cli`` (commands), ``web`` (the web app),
``run`` (pipeline stages), ``governance`` (DPO, retention, subject access, re-identification),
``cohort`` (the IOM cohort) and ``demo`` (synthetic partners and example config).
"""
