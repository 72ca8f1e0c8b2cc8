"""What operators and admins ask of a running site: health, metrics, the mail outbox."""
