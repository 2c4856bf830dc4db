"""The pipeline stages: pull, ingest, match, publish, deliver, and the schedule that drives them.

Also here: the release files a stage writes and reads back (``release_files``, ``releases``), the
status of feeds, a run's lifecycle (``lifecycle``), and matching on demand (``match_run``,
``review``, ``explain``). Imports the shared core (``hub.config``, ``hub.workspace``,
``hub.state``, ``hub.audit.log`` ...) and the layers below the hub (``connectors``, ``schemas``,
``matching``, ``sharing_agreements``); never ``hub.cli``, ``hub.governance`` or ``hub.demo``.
"""
