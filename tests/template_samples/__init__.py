"""Representative values for every template, one module per template (`<name>.py`):

    KIND = "message" | "view"
    SAMPLES = [ {...values...}, ... ]   # each rendered in ja and en and checked against Slack's limits

Objects the templates read as attributes are plain `SimpleNamespace`s: a template depends on the
values it is given, never on the database."""
