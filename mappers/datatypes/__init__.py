"""v2 datatypes to FHIR datatypes (and to the small resources some of them name)."""
