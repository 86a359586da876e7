"""Quiz platform: practice, discipline tests and live competitions from one question bank."""

__version__ = "0.1.0"
