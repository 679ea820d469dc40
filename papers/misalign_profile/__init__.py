"""MisAlign-Profile (arXiv 2602.11091): MISALIGNTRADE, semantic types and cross-dimension trade-offs. README.md."""
