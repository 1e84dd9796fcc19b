"""The wire format: a versioned JSON envelope plus raw binary frames for arrays.

A message is a list of ZeroMQ frames. Frame 0 is the UTF-8 JSON envelope. Every
numpy array anywhere in the envelope is replaced in the JSON by a header
``{"__array__": i, "dtype": "<f8", "shape": [n, ...]}`` and its raw C-contiguous
little-endian bytes travel as frame ``1 + i``. Nothing is ever pickled.

Requests are ``{"v": 1, "id": ..., "method": "resource_verb", "params": {...}}``;
replies are ``{"v": 1, "id": ..., "ok": true, "result": ...}`` or
``{"v": 1, "id": ..., "ok": false, "error": {"type": ..., "message": ...}}``.

This module opens no sockets: it only turns envelopes into frames and back.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from adaptive import errors
from adaptive.arrays import is_int
from adaptive.errors import (
    AdaptiveError,
    InvalidParameterError,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
)

PROTOCOL_VERSION = 1

#: Methods that change the server's state. The server caches their successful replies,
#: so a resent request does not change it twice, and the client says such a request may
#: have been done when it gets no reply. Reads are answered afresh (a status poll that
#: reuses its id sees the present), and so are errors, which mostly changed nothing (a
#: retry may then succeed); but see the server's ``JOURNALED_ERRORS``.
STATE_CHANGING = frozenset(
    {
        "campaign_create",
        "campaign_stop",
        "suggestions_get",
        "suggestions_release",
        "observation_put",
    }
)

#: The most suggestions one ``suggestions_get`` (a campaign's ``suggest``) makes; ask again
#: for more.
MAX_SUGGESTIONS = 1000
#: Most bytes of a request's JSON frame 0. The server decodes it on its serving thread
#: (a spectrum of 10**6 values as JSON lists took 2 s, stalling every client meanwhile;
#: as binary array frames, 0.06 s); this is about 50,000 numbers as lists.
MAX_REQUEST_JSON_BYTES = 2**20
#: Most bytes of a whole request, its array frames included: 4x the largest spectrum a put
#: may carry (``campaign.MAX_CHANNELS`` x and y as ``<f8``, 16 MB). The server refuses a
#: larger one before hashing or decoding it (a 1 GB frame had taken 2.5 GB and stalled
#: every client for 3 s).
MAX_REQUEST_BYTES = 2**26

#: Array dtypes allowed on the wire, as little-endian ``numpy.dtype.str`` strings.
ALLOWED_DTYPES = ("<f8", "<f4", "<i8", "<i4", "<u2", "|u1", "|b1")

ARRAY_KEY = "__array__"
_HEADER_KEYS = frozenset({ARRAY_KEY, "dtype", "shape"})
_REQUEST_KEYS = frozenset({"v", "id", "method", "params"})
_OK_KEYS = frozenset({"v", "id", "ok", "result"})
_ERROR_KEYS = frozenset({"v", "id", "ok", "error"})

#: An error reply's type -> the class it is raised as: a subclass of both ``RemoteError``
#: and the class of ``adaptive.errors`` of that name, made once here. RemoteError adds no
#: instance fields, so it combines with any builtin (OSError's ``JournalError`` too).
#: Other types stay plain ``RemoteError``, and so does ``ServerUnavailableError``: the
#: client's own, which a reply naming it must not pass for (``run_driver`` retries it).
#: Each is this module's attribute of its name (``RemoteOutOfSpaceError``), where pickle
#: finds it, so a process pool hands the error to its parent as that class.
REMOTE_ERRORS: dict[str, type[RemoteError]] = {
    name: type(f"Remote{name}", (RemoteError, cls), {"__module__": __name__})
    for name, cls in vars(errors).items()
    if isinstance(cls, type)
    and issubclass(cls, AdaptiveError)
    and not issubclass(RemoteError, cls)
    and cls is not ServerUnavailableError
}
globals().update({cls.__name__: cls for cls in REMOTE_ERRORS.values()})


# --------------------------------------------------------------------------- frames


def encode(envelope: dict) -> list[bytes]:
    """Turn an envelope into ZeroMQ frames.

    Args:
        envelope: a JSON-able dict; numpy arrays may appear anywhere inside it
            (nested in dicts, lists or tuples), with any shape ``n_1 x ... x n_k``.

    Returns:
        ``[json_bytes, array_0_bytes, array_1_bytes, ...]``.

    Raises:
        InvalidParameterError: the envelope is not a dict, holds a value JSON cannot
            carry (including NaN/inf floats outside arrays), an array of a dtype not
            in ``ALLOWED_DTYPES``, a masked array, a dict key that is not text, or a dict
            that uses the reserved key ``"__array__"``.
    """
    if not isinstance(envelope, dict):
        raise InvalidParameterError(
            f"envelope must be a dict, got {type(envelope).__name__}; build one with request()"
        )
    arrays: list[bytes] = []

    def replace(value: Any, path: str) -> Any:
        if isinstance(value, np.ndarray):
            return _array_header(value, arrays)
        if isinstance(value, dict):
            if ARRAY_KEY in value:
                raise InvalidParameterError(
                    f"dict key {ARRAY_KEY!r} is reserved for array headers; rename it"
                )
            for key in value:  # JSON would turn 1 into "1", merging it with a key "1"
                if not isinstance(key, str):
                    raise InvalidParameterError(
                        f"dict key {key!r} is a {type(key).__name__}; JSON keys are text: "
                        f"use str(key)"
                    )
            return {
                key: replace(item, f"{path}.{key}" if path else key) for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [replace(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if not_finite(value):
            raise InvalidParameterError(
                f"{path} is {value!r}, which JSON cannot carry",
                "send None for a value that is missing (NaN and inf travel only inside the "
                "numpy arrays of parameters that take one, e.g. a spectrum's y)",
            )
        if isinstance(value, np.bool_ | np.integer):
            return value.item()
        if isinstance(value, np.floating):
            return float(value)  # a longdouble's item() is a longdouble
        if not isinstance(value, str | int | float | None):
            raise InvalidParameterError(
                f"{path} is a {type(value).__name__}, which JSON cannot carry",
                "send str, int, float, bool, None, lists, dicts or numpy arrays (a datetime "
                "as UNIX seconds, datetime.timestamp(): an observation's time must be them; "
                "elsewhere ISO text will do)",
            )
        return value

    try:
        text = json.dumps(replace(envelope, ""), allow_nan=False)
    except RecursionError:
        raise InvalidParameterError(
            "the envelope nests too deeply, or holds itself; flatten the parameters"
        ) from None
    return [text.encode("utf-8"), *arrays]


#: What a request nested past Python's recursion limit is told, as it is parsed or restored.
TOO_DEEP = "frame 0 nests JSON too deeply; flatten the parameters"


def decode(frames: Sequence[bytes], what: str = "request") -> dict:
    """Turn ZeroMQ frames back into an envelope, with arrays restored.

    Args:
        frames: ``[json_bytes, array_0_bytes, ...]`` as made by :func:`encode`.
        what: ``"request"`` (on the server) or ``"reply"`` (on the client), for errors.

    Returns:
        The envelope dict; each array header is replaced by a numpy array (a copy).

    Raises:
        ProtocolError: no frames, a request's frame 0 over ``MAX_REQUEST_JSON_BYTES``,
            frame 0 empty with frames after it (a delimiter too
            many), frame 0 not UTF-8 JSON of an object, another protocol
            version (checked before the arrays, whose format it may change), a NaN/Infinity
            literal, a bad array header (dtype, shape, index, byte length), or a
            frame that no header references.
    """
    if len(frames) == 0:
        raise ProtocolError("empty message: expected at least one frame (the JSON envelope)")
    if what == "request" and len(frames[0]) > MAX_REQUEST_JSON_BYTES:
        raise ProtocolError(
            f"frame 0 holds {len(frames[0]) / 2**20:.1f} MiB of JSON, more than the "
            f"{MAX_REQUEST_JSON_BYTES // 2**20} MiB a request may: send long arrays (a "
            "spectrum's x and y, model_predict points) as binary array frames, not JSON lists"
        )
    if len(frames) > 1 and not frames[0]:
        raise ProtocolError(
            "frame 0 is empty where the JSON envelope belongs (an empty delimiter frame too "
            "many?): a REQ socket adds the delimiter itself, so a REQ peer sends "
            '[json, *arrays] and a DEALER [b"", json, *arrays]'
        )
    try:
        text = bytes(frames[0]).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(f"frame 0 is not UTF-8 text ({err}); send UTF-8 JSON") from err
    try:
        envelope = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError:
        raise ProtocolError(TOO_DEEP) from None
    except ValueError as err:  # JSONDecodeError, or an int over 4300 digits
        raise ProtocolError(f"frame 0 is not valid JSON ({err})") from err
    if not isinstance(envelope, dict):
        raise ProtocolError(
            f"frame 0 must be a JSON object, got {type(envelope).__name__}: {text[:80]!r}"
        )
    if "v" in envelope:  # a missing version is named by parse_request / unwrap_reply
        _check_version(envelope, what)
    buffers = frames[1:]
    used: set[int] = set()
    try:
        envelope = _restore(envelope, buffers, used)
    except RecursionError:
        raise ProtocolError(TOO_DEEP) from None
    unused = [i + 1 for i in range(len(buffers)) if i not in used]
    if unused:
        raise ProtocolError(
            f"{len(unused)} extra frame(s) {_shown(unused)} are not referenced by any array "
            "header; send one frame per array"
        )
    return envelope


def _shown(indices: list[int], most: int = 5) -> str:
    """``[1, 2, 3]``, or the first ``most`` and how many more, for a message."""
    more = len(indices) - most
    return f"{indices}" if more <= 0 else f"{indices[:most]} and {more} more"


def not_finite(value: Any) -> bool:
    """Whether ``value`` is a float (numpy's too) that JSON cannot carry: NaN or inf."""
    return isinstance(value, float | np.floating) and not math.isfinite(value)


def _array_header(array: np.ndarray, arrays: list[bytes]) -> dict:
    """Append the array's bytes to ``arrays`` and return its JSON header."""
    if isinstance(array, np.ma.MaskedArray):  # its bytes would carry the fill value
        raise InvalidParameterError(
            "a masked array cannot go on the wire (its masked entries would arrive as the "
            "fill value, e.g. 1e20); send array.filled(np.nan) or drop the masked points"
        )
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("<")
    if dtype.str not in ALLOWED_DTYPES:
        raise InvalidParameterError(
            f"array dtype {array.dtype.str!r} ({array.dtype}) cannot go on the wire; "
            f"convert with .astype() to one of {', '.join(ALLOWED_DTYPES)}"
        )
    arrays.append(array.astype(dtype, copy=False).tobytes(order="C"))
    return {ARRAY_KEY: len(arrays) - 1, "dtype": dtype.str, "shape": list(array.shape)}


def _reject_constant(name: str) -> Any:
    raise ProtocolError(
        f"JSON literal {name} is not allowed; send finite numbers, and NaN/inf only inside arrays"
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object's ``(key, value)`` pairs as a dict, refusing a key given twice: the
    last one won, so a proxy or log that keeps the first read another request."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ProtocolError(f"the key {key!r} is given twice in one object; send each key once")
        out[key] = value
    return out


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolError(f"JSON number {text} overflows to {value}; send finite numbers")
    return value


def _restore(value: Any, buffers: Sequence[bytes], used: set[int]) -> Any:
    """Replace array headers inside ``value`` by the arrays they describe."""
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            return _array_from_header(value, buffers, used)
        return {key: _restore(item, buffers, used) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore(item, buffers, used) for item in value]
    return value


def _array_from_header(header: dict, buffers: Sequence[bytes], used: set[int]) -> np.ndarray:
    if set(header) != _HEADER_KEYS:
        raise ProtocolError(
            f"array header {header!r} must have exactly the keys __array__, dtype and shape"
        )
    index, dtype, shape = header[ARRAY_KEY], header["dtype"], header["shape"]
    if not is_int(index):
        raise ProtocolError(
            f"array header index {index!r} must be an integer: the position of the array's "
            "frame among those after frame 0, from 0"
        )
    if not 0 <= index < len(buffers):
        raise ProtocolError(
            f"array header index {index!r} is out of range: the message has "
            f"{len(buffers)} array frame(s)"
        )
    if index in used:
        raise ProtocolError(f"array frame index {index} is referenced by more than one header")
    if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
        raise ProtocolError(
            f"array {index} has unknown dtype {dtype!r}; allowed: {', '.join(ALLOWED_DTYPES)}"
        )
    if not isinstance(shape, list) or not all(is_int(n) and n >= 0 for n in shape):
        raise ProtocolError(
            f"array {index} has bad shape {shape!r}; expected a list of non-negative integers"
        )
    item = np.dtype(dtype)
    nbytes = memoryview(buffers[index]).nbytes
    expected = math.prod(shape) * item.itemsize
    if nbytes != expected:
        raise ProtocolError(
            f"array {index} frame has {nbytes} bytes, but shape {shape} of {dtype} "
            f"needs {expected} bytes"
        )
    used.add(index)
    array = np.frombuffer(buffers[index], dtype=item, count=math.prod(shape))
    if item.kind == "b" and array.view(np.uint8).max(initial=0) > 1:
        raise ProtocolError(f"array {index} of dtype |b1 holds bytes other than 0 and 1")
    try:
        return array.reshape(shape).copy()
    except ValueError as err:  # a zero-length array with a huge or too many other axes
        raise ProtocolError(f"array {index} has shape {shape} numpy cannot hold ({err})") from None


# ---------------------------------------------------------------- requests and replies


def request(method: str, params: dict | None = None, id: str | int | None = None) -> dict:
    """Build a request envelope.

    Args:
        method: the handler name, ``"resource_verb"``.
        params: keyword parameters for the handler; ``None`` means ``{}``.
        id: the request id, a str or int, which the reply carries; a fresh uuid hex when
            not given. The server answers a request's very bytes resent from its cache;
            another request under the same id is served anew.

    Returns:
        ``{"v": 1, "id": id, "method": method, "params": params}``.

    Raises:
        InvalidParameterError: ``method`` is not a non-empty str, ``params`` not a dict or
            ``id`` neither a str nor an int.
    """
    if not isinstance(method, str) or not method:
        raise InvalidParameterError(f"method must be a non-empty str, got {method!r}")
    if params is not None and not isinstance(params, dict):
        raise InvalidParameterError(f"params must be a dict, got {type(params).__name__}")
    if id is not None and not _is_request_id(id):
        raise InvalidParameterError(
            f"id must be a str or int (or None for a fresh one), got {id!r}"
        )
    return {
        "v": PROTOCOL_VERSION,
        "id": uuid.uuid4().hex if id is None else id,
        "method": method,
        "params": params or {},
    }


def parse_request(envelope: dict) -> tuple[str | int, str, dict]:
    """Check a decoded request envelope and take it apart.

    Args:
        envelope: the dict returned by :func:`decode`.

    Returns:
        ``(id, method, params)``.

    Raises:
        ProtocolError: wrong or missing version, unknown keys, id not a str/int,
            method not a non-empty str, or params not an object.
    """
    _check_version(envelope, "request")
    extra = set(envelope) - _REQUEST_KEYS
    if extra:
        raise ProtocolError(
            f"request has unknown key(s) {sorted(extra)}; allowed: id, method, params, v"
        )
    request_id, method, params = envelope.get("id"), envelope.get("method"), envelope.get("params")
    if not _is_request_id(request_id):
        raise ProtocolError(f"request id must be a str or int, got {request_id!r}")
    if not isinstance(method, str) or not method:
        raise ProtocolError(f"request method must be a non-empty str, got {method!r}")
    if not isinstance(params, dict):
        raise ProtocolError(f"request params must be a JSON object, got {params!r}")
    return request_id, method, params


def check_request_size(frames: Sequence[bytes]) -> None:
    """Raise ``ProtocolError`` when a request's ``frames`` hold more than
    ``MAX_REQUEST_BYTES`` in all."""
    size = sum(map(len, frames))
    if size > MAX_REQUEST_BYTES:
        raise ProtocolError(
            f"the request holds {size:,} bytes, more than the {MAX_REQUEST_BYTES:,} "
            f"({MAX_REQUEST_BYTES // 2**20} MiB) one may carry: split it (model_predict points "
            "into several calls; bin or crop a spectrum)"
        )


def request_id(frames: Sequence[bytes]) -> str | int | None:
    """The id an error reply to a malformed request carries, so that its peer can match it:
    frame 0's ``"id"`` when frame 0 is a JSON object whose id is a str or int, else None."""
    return request_head(frames)[0]


def request_head(frames: Sequence[bytes]) -> tuple[str | int | None, str, dict]:
    """What an error reply and its log line name of a malformed request, from frame 0 read
    once: its id (``request_id``), ``"method"`` ("?" when it has none that is a string) and
    the string ``campaign_id`` and ``client_id`` of its ``"params"``."""
    envelope = _readable_envelope(frames)
    found, method = envelope.get("id"), envelope.get("method")
    params = envelope.get("params")
    params = params if isinstance(params, dict) else {}
    named = {k: params[k] for k in ("campaign_id", "client_id") if isinstance(params.get(k), str)}
    method = method if isinstance(method, str) else "?"
    return (found if _is_request_id(found) else None), method, named


def _readable_envelope(frames: Sequence[bytes]) -> dict:
    """Frame 0 of a request as a JSON object, or {} where it is none."""
    try:
        envelope = json.loads(bytes(frames[0]).decode("utf-8")) if frames else None
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return {}
    return envelope if isinstance(envelope, dict) else {}


def _is_request_id(value: Any) -> bool:
    return isinstance(value, str) or is_int(value)


def ok_reply(id: str | int | None, result: Any) -> dict:
    """Build a success reply: ``{"v": 1, "id": id, "ok": true, "result": result}``."""
    return {"v": PROTOCOL_VERSION, "id": id, "ok": True, "result": result}


def error_reply(id: str | int | None, exc: BaseException) -> dict:
    """Build an error reply carrying the exception's class name and message."""
    return {
        "v": PROTOCOL_VERSION,
        "id": id,
        "ok": False,
        "error": {"type": type(exc).__name__, "message": str(exc)},
    }


def unwrap_reply(envelope: dict) -> Any:
    """Return a reply's result, or raise its error.

    Args:
        envelope: the dict returned by :func:`decode`.

    Returns:
        The ``result`` of a success reply.

    Raises:
        RemoteError: an error reply; ``.type`` is the server-side class name, and a type
            in ``REMOTE_ERRORS`` is raised as that class (``except OutOfSpaceError`` works).
        ProtocolError: the reply is malformed.
    """
    _check_version(envelope, "reply")
    ok = envelope.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolError(f"reply needs a boolean 'ok', got {ok!r}")
    expected = _OK_KEYS if ok else _ERROR_KEYS
    if set(envelope) != expected:
        raise ProtocolError(f"reply has keys {sorted(envelope)}; expected {sorted(expected)}")
    if ok:
        return envelope["result"]
    error = envelope["error"]
    if (
        not isinstance(error, dict)
        or set(error) != {"type", "message"}
        or not all(isinstance(error[key], str) for key in error)
    ):
        raise ProtocolError(f"reply error must be {{'type': str, 'message': str}}, got {error!r}")
    raise REMOTE_ERRORS.get(error["type"], RemoteError)(error["type"], error["message"])


def _check_version(envelope: Any, what: str) -> None:
    side = "server" if what == "request" else "client"
    if not isinstance(envelope, dict):
        raise ProtocolError(f"{what} must be a JSON object, got {type(envelope).__name__}")
    if "v" not in envelope:
        raise ProtocolError(
            f"{what} has no protocol version 'v'; this {side} speaks version "
            f"{PROTOCOL_VERSION}: send 'v': {PROTOCOL_VERSION}"
        )
    version = envelope["v"]
    if not is_int(version):
        raise ProtocolError(
            f"{what}'s protocol version 'v' must be the JSON integer {PROTOCOL_VERSION}, got "
            f"{type(version).__name__} {version!r}: send 'v': {PROTOCOL_VERSION}"
        )
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"{what} uses protocol version {version!r}, but this {side} speaks version "
            f"{PROTOCOL_VERSION}; upgrade or downgrade the peer to v{PROTOCOL_VERSION}"
        )
