"""The demo: synthetic partners, a loopback SFTP server serving them, the example configuration.

``config/`` and ``config-sftp/`` are the example hub, feed and agreement files (``examples/`` in
the repository points here), shipped in the package so an installed hub can run its demo.
Imports the shared core, ``hub.run`` and ``hub.governance``; never ``hub.cli``.
"""
