"""The web layer: Litestar controllers; no SQL, no timing logic here."""
