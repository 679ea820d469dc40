"""The vision core that papers 7-9 share.

- memes.py: meme tables (HarMeme Harm-C/Harm-P, FHM-style) read and validated into one schema;
- render.py: the mini memes: real HarMeme text drawn over synthetic pictures with a known label rule;
- prepare.py: the memes rule's step (real images at paper scale, rendered ones at mini scale);
- clip_train.py: a tiny CLIP trained in the DAG on the mini memes' pictures and their captions;
- figures.py: its training curve and retrieval accuracy.
The CLIP backend of the model registry is papers/core/llm/clip_backend.py.
"""
