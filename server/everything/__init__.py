"""Patient ``$everything``: a patient's whole record, paged to its end without a cap."""
