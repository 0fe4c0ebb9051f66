"""Errors raised while scoring."""


class ParticipantVisibleError(Exception):
    """A problem with the submission that its team may read and act on.

    The message must describe the submission only, never a ground-truth value.
    Any other exception while scoring is a platform fault, shown to staff only.
    """
