"""Pure data and rules of the site: no I/O, no frameworks."""
