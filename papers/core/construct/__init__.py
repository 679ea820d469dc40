"""Dataset construction shared by papers 1-3 (Mis-Align Bench, MisAlign-Profile, Demo-SafetyBench):

- reclassify.py  (a) multi-label reclassification of a prompt pool into the taxonomy, p >= delta
                 (optionally over a shortlist of domains drawn up by the embedder)
- expand.py      (b) low-resource expansion, every new prompt reclassified before it is kept
- ../dedup.py    (c) exact SimHash near-duplicate removal
- respond.py     (d, e) aligned / misaligned responses, two-stage rejection sampling with critiques
- counts.py, table.py  the per-domain tables and figure
- agreement.py   the classifier against gold, next to two trivial baselines (most frequent, nearest name)
"""
