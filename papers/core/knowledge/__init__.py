"""Knowledge sources (ConceptNet, Wikidata, a hate lexicon) and entity linking over them (paper 7).

sources.py reads each source in its released format (full sources at paper scale, the vendored
subsets in data/knowledge/ at mini scale); linking.py links a text's phrases to their facts.
"""
