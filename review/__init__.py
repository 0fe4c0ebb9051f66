"""Human review and the final ranking (SPEC §5): pure functions, no database, no Flask."""
