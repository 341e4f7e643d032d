"""What the rules refuse a request with (game/rules.py, and the input checks of game/validators.py)."""


class RuleError(Exception):
    """A request the rules refuse. The message is for the person who asked, as is."""

    def __init__(self, message, *, status=409):
        super().__init__(message)
        self.message = message
        self.status = status


class WrongDeathCode(RuleError):
    """A death code that is not the target's: the pages and the API count it as a failed guess."""
