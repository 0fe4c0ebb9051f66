"""The browser's side of the web: sign-in, pages, and what every answer carries (security
headers, input hygiene, template helpers, the 503 page)."""
