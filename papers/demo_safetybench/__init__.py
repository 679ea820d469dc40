"""Demo-SafetyBench (paper 3): pluralistic safety rating with LLMs as raters."""
