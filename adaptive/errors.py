"""One hierarchy of typed errors; each also inherits the matching builtin.

Messages name the bad value and say how to fix it. The server sends them as
``{"ok": false, "error": {"type": cls.__name__, "message": str(err)}}``.
"""


class AdaptiveError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidParameterError(AdaptiveError, ValueError):
    """A value is malformed, out of range, NaN/inf, or of the wrong shape.

    Args:
        problem: what is wrong.
        advice: what its sender should do instead, if given: the message is then
            ``f"{problem}; {advice}"``.

    Attributes:
        problem: ``problem``, without the advice (a journal's reader is told what is
            wrong with a row, not what a client should send).
    """

    def __init__(self, problem: str, advice: str | None = None):
        super().__init__(problem if advice is None else f"{problem}; {advice}")
        self.problem = problem


class OutOfSpaceError(InvalidParameterError):
    """A point lies outside the campaign's space."""


class UnknownSuggestionError(InvalidParameterError):
    """An observation names a ``suggestion_id`` that its campaign never made."""


class AnalysisError(InvalidParameterError):
    """The campaign's analysis step or objective failed on a spectrum; the measurement is
    journaled as an ``analysis_failed`` event, not learned from."""


class UnknownMethodError(AdaptiveError, LookupError):
    """A wire request names a method the server does not have."""


class UnknownCampaignError(AdaptiveError, LookupError):
    """A campaign id that the server does not know."""


class ProtocolError(AdaptiveError, ValueError):
    """A frame that is not a valid envelope: bad JSON, version, or array header."""


class JournalError(AdaptiveError, OSError):
    """The journal file cannot be opened, read as a journal, or written."""


class CampaignStoppedError(AdaptiveError, RuntimeError):
    """The campaign has stopped; it takes no more observations or suggestions."""


class ServerUnavailableError(AdaptiveError, ConnectionError):
    """The client gave up after its bounded retries; the server did not answer."""


class ServerStartError(AdaptiveError, OSError):
    """The server could not bind its endpoint (in use, or malformed) or did not start; as an
    error reply, it could not start a thread to answer the request (out of threads or
    memory), which a later retry may."""


class StrategyMissingError(ServerStartError):
    """A journaled campaign's strategy is not registered in this server (started without
    the ``--plugin`` that registers it): a server started with it answers, so a driver
    retries as it does a server that could not start a thread; nothing journaled is lost."""


class StrategyError(AdaptiveError, RuntimeError):
    """A campaign's strategy returned suggestions its space or request do not allow (no
    list, a point outside the space or not finite, more than asked for, one point twice or
    a pending one again, an id given before), a ``stop_reason()`` that is no text or
    raised, or a constructor, ``check_new()`` or ``stop_options()`` that raised: a bug of
    the strategy (a ``--plugin``'s); none is journaled."""


class InstrumentStateError(AdaptiveError, RuntimeError):
    """An instrument was asked for what its state does not allow, e.g. a read before a move."""


class InstrumentFailingError(AdaptiveError, RuntimeError):
    """A driver loop gave up: its instrument's readings failed too many times in a row (a
    dumped beam, a detector off). The campaign keeps running, every failure journaled."""


class RemoteError(AdaptiveError, RuntimeError):
    """An error reply from the server, re-raised on the client.

    A reply whose type names a class of this module is raised as a subclass of both
    (``except OutOfSpaceError`` catches it); other types as a plain ``RemoteError``.

    Attributes:
        type: the server-side error class name, e.g. ``"OutOfSpaceError"``.
    """

    def __init__(self, type_: str, message: str):
        super().__init__(f"{type_}: {message}")
        self.type = type_

    def __reduce__(self) -> tuple:
        """How pickle and copy rebuild it (a process pool hands it to its parent): its class
        called with the reply's type and message, then its attributes set."""
        return type(self), (self.type, str(self).removeprefix(f"{self.type}: ")), self.__dict__
