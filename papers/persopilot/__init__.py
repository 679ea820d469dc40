"""PersoPilot (paper 6, arXiv 2602.04540), a system paper: a persona copilot web application.

End user: a chat that extracts persona facts as (subject, relation, object) triplets (extract.py),
links them to a catalogue and recommends with the facts as reasons (recommend.py). Analyst: a
labelling assistant (label.py) and an active-learning loop over a TF-IDF persona classifier
(active.py). State lives in SQLite (store.py); the server is app.py. The module's README says how to
start it and what each part measures.
"""
