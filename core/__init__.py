"""The bottom layer: tables, sessions, time, locales. No Flask, nothing from above."""
