"""The web app: a second front door beside the command line, for the IOM team, data officers
and the DPO. Server-rendered (Starlette, Jinja2 with autoescape), no CDN, a strict
Content-Security-Policy, every look at personal data an audited consultation by a signed-in
person for a chosen purpose.

Pages call the same functions the command line does. Imports the shared core, ``hub.run``,
``hub.governance`` and ``hub.cohort``; never ``hub.cli`` or ``hub.demo``.
"""
