"""Server-rendered pages of the box (Jinja); their live parts call /api/v1."""
