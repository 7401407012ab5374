"""Exceptions a user can cause. The CLI turns each into one line and exit status 2."""


class InputError(ValueError):
    """Bad user input: configuration, material, file. The message names the field and the allowed range."""


class ResultFileError(InputError):
    """A result file that is truncated, foreign or of a newer schema."""


class TallyOverflowError(InputError):
    """A fixed-point energy accumulator passed its range: the batch's dose would be wrong."""
