"""The box as a member of the fleet: its identity and its enrollment with central."""
