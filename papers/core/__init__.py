"""The shared library of pluralign: model interface, call cache, taxonomy, construction steps, reports.

Nothing here is specific to one paper.
"""
