"""The CSM's kickoff modal."""

from types import SimpleNamespace

KIND = "view"

SAMPLES = [{"account": SimpleNamespace(id=7, name="Acme & <Co>")}]
