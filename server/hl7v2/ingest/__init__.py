"""The HL7v2 ingest pipeline: parse, map, plan, validate, write with the ledger."""
