"""The site: pages, the JSON API and feeds, built by an app factory."""
