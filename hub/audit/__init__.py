"""The audit log, part of the hub's shared core (imports no room).

``log`` appends and reads entries (:class:`hub.audit.log.AuditLog`); ``events`` holds one frozen
dataclass per action the log records; ``codec`` maps events to entries and back; ``chain`` is the
hash chain, the head and verification; ``anchor`` and ``witness`` anchor the log outside itself
(the state database, signed checkpoints at a witness); ``reasons`` refuses personal data in
free-text reasons. Nothing is imported here, so each module loads only what it needs.
"""
