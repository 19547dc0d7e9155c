from types import SimpleNamespace

KIND = "view"

SAMPLES = [
    {"alert": SimpleNamespace(id=3, data={"score": 42}), "account": SimpleNamespace(id=7, name="Acme & <Co>")},
]
