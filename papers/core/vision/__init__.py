"""The vision core that papers 7-9 share.

- memes.py: meme tables (HarMeme Harm-C/Harm-P, FHM-style) read and validated into one schema;
- render.py: the mini memes: real HarMeme text drawn over synthetic pictures with a known label rule;
- prepare.py: the memes rule's step (real images at paper scale, rendered ones at mini scale);
- clip_train.py: a tiny CLIP trained in the DAG on the mini memes' pictures and their captions;
- mini_lvlm.py, lvlm_train.py: the mini vision-language model (the CLIP's image tower, a projector
  trained in the DAG, frozen SmolLM2) and its training with held-out quality against baselines;
- figures.py: the CLIP's training curve and retrieval accuracy, the LVLM's curve and quality table.
The CLIP backend of the model registry is papers/core/llm/clip_backend.py; LVLMs (the mini one and
transformers' LLaVA, InstructBLIP, Qwen2-VL) run on the hf backend's vision path, llm/hf_vision.py
(README.md: Vision-language models).
"""
