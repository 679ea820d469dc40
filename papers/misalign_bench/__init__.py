"""Mis-Align Bench (arXiv 2602.11305): SAVACU and the misalignment-detection benchmark. README.md."""
