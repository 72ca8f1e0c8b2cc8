"""Use cases: each a function taking what it needs; the caller owns the transaction."""
