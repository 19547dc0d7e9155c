"""The close modal with the configured close reasons."""

KIND = "view"

SAMPLES = [
    {"recycle_id": "3:C0IS:1732412345.000100", "title": "Acme <株式会社> / 山田 太郎",
     "reasons": ["no_longer_relevant", "do_not_contact", "duplicate", "other"]},
    {"recycle_id": "4::", "title": "Globex", "reasons": ["other"]},
]
