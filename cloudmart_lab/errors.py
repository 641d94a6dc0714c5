"""The one exception the toolkit raises for problems a user can fix."""


class LabError(Exception):
    """A problem with the lab's input or environment, explained in one line.

    The command line prints the message as it is, without a traceback, and exits non-zero.
    The message says what is wrong and what to do about it.
    """
