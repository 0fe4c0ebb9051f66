"""Scoring: reading, validation, metrics, the RQ job, the embedded runner and the reconciler."""
