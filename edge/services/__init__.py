"""Services: the operations the CLI and the HTTP API share; they talk to storage."""
