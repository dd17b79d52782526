"""One module per v2 segment (or segment family): segment in, FHIR resource content out."""
