"""Issuing documents: rules, the exactly-once core, the worker's steps, the archive, importing
existing documents and the merchant's test invoice."""
