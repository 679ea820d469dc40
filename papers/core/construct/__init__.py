"""Dataset construction shared by papers 1-3 (Mis-Align Bench, MisAlign-Profile, Demo-SafetyBench):
multi-label reclassification of a prompt pool into the taxonomy, and its per-domain counts."""
