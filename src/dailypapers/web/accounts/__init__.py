"""Members: signing up and in, sessions and CSRF, settings, profiles, their own data."""
