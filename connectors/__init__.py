"""Accounting-system connectors: one package per system, speaking that vendor's documented API.

This package never imports `webapp`: it gets everything it needs (settings, secrets, a token
cache, a place to report HTTP exchanges) through `ConnectionSettings`.
"""
