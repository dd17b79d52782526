"""Prometheus metrics: the HTTP requests (``http``) and the running parts' state
(``runtime``), exposed at ``/metrics`` (server.api.routes_metrics).

Labels are bounded by construction (route names, held types, status codes, message
types of a fixed shape): nothing a client sends can grow them without end, and no label
holds an id or anything about a patient.
"""
