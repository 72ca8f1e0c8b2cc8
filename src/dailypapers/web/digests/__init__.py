"""Digest pages: subscribe, confirm, manage, unsubscribe, preview."""
