"""Command lines; each ``tools/<name>.py`` calls ``mmfreesolo.cli.<name>.main``."""
