"""ccsim: a simulated Eucalyptus Cluster Controller and a stand-in for its CCclient_full.

Self-contained, standard library only: it is copied to /opt/ccsim/ccsim inside the CC image and
run as `python3 -m ccsim.server`; the lab's harness imports `cclab.ccsim.soap` for the wire format.
Facts it reproduces: /work/shared/reference/eucalyptus-cc.md; formats and inferences: README.md.
"""
