"""pluralign: the reproducible artifact of nine papers on pluralistic alignment and multimodal safety.

`papers.core` is the shared library; each other subpackage reproduces one paper and imports core,
never the other way round.
"""
