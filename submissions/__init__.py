"""Intake: upload checks, storage, quota and deadline, then the row and the job."""
