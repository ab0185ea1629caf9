"""The one error type the CLI turns into a one-line message and exit code 2."""


class InputError(Exception):
    """An input that cannot be read or used: a missing file, an unknown format, a malformed option file."""


class UnknownFormat(InputError):
    """No reader recognised the file."""
