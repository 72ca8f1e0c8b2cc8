"""Atom and RSS feeds of the site's papers."""
