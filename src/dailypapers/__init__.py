"""A self-hosted Daily Papers: research papers ranked by a community, searchable, mailed."""

__version__ = "0.1.0"
