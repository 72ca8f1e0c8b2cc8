"""The background worker: scheduled jobs (pulls, indexing, digests) in one process."""
