"""The recogniser: normalise -> concepts and rules -> fuzzy -> learned layer -> score -> verdict (pipeline.py)."""
