"""Issuing documents: rules, the exactly-once core, the worker's steps, the archive."""
