"""Connections to accounting systems: building a connector and calling it (the session), activation,
OAuth, re-verification and the hints shown for each error code."""
