"""Entity extraction: provinces, cities, organizations and themes of an article's text."""
