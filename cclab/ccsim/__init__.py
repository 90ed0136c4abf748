"""ccsim: a simulated Eucalyptus Cluster Controller and a stand-in for its CCclient_full.

Self-contained: the standard library, plus lxml and cryptography for WS-Security (wssec.py). It
is copied to /opt/ccsim/ccsim inside the CC image and run as `python3 -m ccsim.server`; the lab's
harness imports `cclab.ccsim.soap` for the wire format and `cclab.ccsim.wssec` to sign.
Facts it reproduces: docs/eucalyptus-cc.md; formats and inferences: README.md.
"""
