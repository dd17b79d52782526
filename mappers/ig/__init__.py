"""Code-system maps copied verbatim from the HL7 V2-to-FHIR IG (CSV, two header rows)."""
