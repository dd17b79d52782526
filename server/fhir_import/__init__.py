"""``fhirport fhir import``: ndjson files and Bundles into a store, safe to run again.

``sources`` finds and reads the files (folders, globs, gzip); ``check`` validates lines
in worker processes; ``upsert`` writes ndjson resources by id (or by identifier) in
batches and keeps the references still to be found; ``documents`` takes Bundles
(transaction and batch through server.transactions, collections like ndjson);
``report`` records each line's outcome and copies refused lines to the dead-letter
folder; ``run`` puts them together on a runtime opened under lenient referential
integrity, so that a reference to a resource later in the run is no error, and checks
what is still dangling at the end.
"""
