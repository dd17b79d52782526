"""fhirport's own code maps, in the IG's CSV layout, for tables the IG does not give."""
