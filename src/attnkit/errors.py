"""The one exception type for problems a user can fix."""


class AttnkitError(Exception):
    """A problem the user can fix: a bad file, text, image, config, checkpoint or argument.

    The CLI prints its message as one line and exits with status 1, without a traceback.
    """
