"""The FHIR definitions the server reads, generated from the specification's files.

``python -m server.spec.generate`` writes ``generated/``: the search parameters, the
Patient compartment and the required bindings of exactly the held types
(``server.registry``). Adding a held type is a registry entry plus a regeneration.
"""
