"""Local Slack sandbox: an in-process emulator of the Slack Web API and UI."""

from bot.sandbox.emulator import SlackEmulator

__all__ = ["SlackEmulator"]
