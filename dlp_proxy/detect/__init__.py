"""Detection: a normalised copy of each text goes through Presidio + spaCy (fr) and our French recognizers."""
