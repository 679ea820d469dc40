"""Every metric of the nine papers, each checked in tests against a reference or a hand-computed case."""
