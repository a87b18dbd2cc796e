"""Placeholder until the documents engine replaces this file: which documents an order event
causes (`plan_documents`, called inside the event's transaction) and queueing them for the
worker (`enqueue`, called after the commit). The engine replaces it; nothing here issues anything."""
from __future__ import annotations


def plan_documents(order, event) -> list:
    """The engine replaces it: the Document rows `event` causes, added to the open session."""
    return []


def enqueue(documents) -> None:
    """The engine replaces it: queue the planned documents for the worker after the commit."""
    return None
