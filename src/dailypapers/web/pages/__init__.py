"""Pages for people: listings, papers, authors, organizations, search, and a member's feed."""
