"""Share fixtures and infrastructure across the test suite."""
