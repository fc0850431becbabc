"""The error raised for bad user input: a config, checkpoint or data file that cannot be used.

Command lines print its message as one line and exit with status 2; everything else is a bug and
keeps its traceback.
"""
import functools
import sys


class UserInputError(ValueError):
    """A file or argument given by the user cannot be used; the message names it and why."""


def exit_on_user_error(main):
    """Decorate a command line's ``main``: a :class:`UserInputError` becomes one line and exit 2."""

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserInputError as e:
            print(f'error: {e}', file=sys.stderr)
            raise SystemExit(2) from None

    return run
