"""HL7v2 application services: ingest (MLLP, HTTP, batch import) and record queries."""
