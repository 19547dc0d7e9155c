"""One `app.yaml` section per flow, each in its own module (owned by that flow).

Each module defines a frozen pydantic model (unknown keys refused) and may define
`problems(section, config) -> list[str]` for cross-references (people, teams, channels).
"""
