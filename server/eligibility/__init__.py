"""Eligibility: a CoverageEligibilityRequest answered from the coverage on file."""
