"""Model files shipped with the hub (JSON, see matching.model)."""
