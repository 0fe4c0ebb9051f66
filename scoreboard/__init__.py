"""Ranking rules, boards and live publishing."""
