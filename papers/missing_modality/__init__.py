"""Paper 9: harmful memes with missing modalities (arXiv 2602.01101); papers/missing_modality/README.md."""
