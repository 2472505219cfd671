"""The box's front panel: status LED, buzzer and shutdown button (gpiozero)."""
