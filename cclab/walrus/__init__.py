"""Harness side of the Walrus and NC tools: their command lines and how to read what they write.

The tools themselves run in the images (cclab/images/walrus/, cclab/images/nc/, standard library
only); this package only runs on the host and imports nothing from the rest of the lab.
"""
