class ApplicationError(Exception):
    """A business rule refused the operation; the message is shown to the user."""

    def __init__(self, message, *, extra=None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
