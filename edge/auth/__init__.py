"""Who may change the box: the first-boot setup PIN, the admin password, brute-force limits."""
