"""Result sheets and certificates as files: CSV, Excel and PDF writers (pure, no web, no DB)."""
