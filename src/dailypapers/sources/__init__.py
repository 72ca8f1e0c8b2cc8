"""Where papers come from: a pure parser and a fetcher per source."""
